"""Who may see and do what: every URL pattern × every persona → the expected status.

The patterns come from the URL configuration itself (config.urls' resolver is walked), so a new page
without an expectation fails `test_every_url_pattern_has_an_expectation`: whoever adds a page declares
here who may see it, in one line of EXPECT.

Each line: the URL name → (what `pk` is, the GET statuses, the POST statuses), one status per persona
in PERSONAS order. POST statuses ending in "+" are allowed POSTs that may change data; every other POST
is a refusal (or a form error) and must change no row: the key tables and the outbox are compared
before and after. Every request runs in a savepoint that is rolled back, so each one meets the same
fixture case. The admin is one rule for its whole namespace: none of these personas is staff.
"""

import os
from datetime import timedelta
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task

from accounts import roles
from accounts.models import User
from grants.services import attachments
from grants.services import memberships
from grants.models import (
    Application, Attachment, BudgetChange, Decision, Event, ExAnteCheck, FinalReport, FundYear, Invitation,
    JoinRequest, LedgerEntry, Membership, Organisation, OrganisationEvent, Payment, Repayment,
)
from notifications.models import OutboxMessage
from reviewers.models import Assignment, Review
from reviewers.services import settings_for_fund
from workflows.services import assignment_declare
from tests.attachment_files import pdf_bytes
from tests.factories import ApplicationFactory, UserFactory
from tests.flow_helpers import check_pass, grant, open_task, review, submit

pytestmark = pytest.mark.django_db

# anonymous, applicant (the case's organisation), other applicant (another organisation), case officer,
# reviewer asked (reviewed the case), reviewer not asked, reviewer conflicted (declared a conflict),
# project secretary, steering group
PERSONAS = ["anon", "appl", "other", "officer", "rev_asked", "rev_not", "rev_confl", "secr", "steer"]

# pk: which fixture object the pattern's `pk` means (None: no pk).
#                                      anon appl other offi r+  r-  rc  secr steer
EXPECT = {
    # the admin's own login page is allauth's (with the second factor): anonymous visitors are sent there,
    # signed-in people who are not staff are refused
    "admin:login": (None, "302 403 403 403 403 403 403 403 403", "302 403 403 403 403 403 403 403 403"),
    "home": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "healthz": (None, "200 200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405 405"),
    "account_login": (None, "200 302 302 302 302 302 302 302 302", "200 302 302 302 302 302 302 302 302"),
    "account_logout": (None, "302 200 200 200 200 200 200 200 200", "302 302 302 302 302 302 302 302 302"),
    "account_inactive": (None, "200 200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405 405"),
    "account_signup": (None, "200 302 302 302 302 302 302 302 302", "200 302 302 302 302 302 302 302 302"),
    "account_reauthenticate": (None, "302 200 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200 200"),
    "account_request_reauthentication_code": (None, "302 200 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200 200"),
    "account_confirm_reauthentication_code": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "account_email": (None, "302 200 200 200 200 200 200 200 200", "302 302 302 302 302 302 302 302 302"),
    "account_email_verification_sent": (None, "200 200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405 405"),
    "account_change_password": (None, "302 200 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200 200"),
    "account_set_password": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "account_reset_password": (None, "200 200 200 200 200 200 200 200 200", "302+ 302+ 302+ 302+ 302+ 302+ 302+ 302+ 302+"),
    "account_confirm_login_code": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "account_confirm_email": (None, "200 200 200 200 200 200 200 200 200", "404 404 404 404 404 404 404 404 404"),
    "account_reset_password_from_key_done": (None, "200 200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405 405"),
    "account_reset_password_from_key": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "account_reset_password_done": (None, "200 200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405 405"),
    "set_language": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "grants:call_detail": ("call", "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "grants:my_applications": (None, "302 200 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200 200"),
    "grants:application_new": (None, "302 200 200 302 302 302 302 302 302", "302 302+ 400 302 302 302 302 302 302"),
    "grants:application_detail": ("case", "302 200 404 404 404 404 404 404 404", "302 200 404 404 404 404 404 404 404"),
    "grants:application_edit": ("draft", "302 200 404 404 404 404 404 404 404", "302 400+ 404 404 404 404 404 404 404"),
    "grants:application_autosave": ("draft", "302 405 405 405 405 405 405 405 405", "302 200+ 404 404 404 404 404 404 404"),
    "grants:application_withdraw": ("draft", "302 200 404 404 404 404 404 404 404", "302 302+ 404 404 404 404 404 404 404"),
    "grants:attachment_add": ("draft", "302 405 405 405 405 405 405 405 405", "302 302 404 404 404 404 404 404 404"),
    "grants:attachment_remove": ("draft_attachment", "302 405 405 405 405 405 405 405 405", "302 302+ 404 404 404 404 404 404 404"),
    "grants:attachment_download": ("attachment", "302 200 404 200 200 404 404 200 404", "302 405 405 405 405 405 405 405 405"),
    "grants:organisation_create": (None, "302 200 200 200 200 200 200 200 200", "302 400 400 400 400 400 400 400 400"),
    "grants:organisation_detail": ("organisation", "302 200 404 404 404 404 404 404 404", "302 302+ 404 404 404 404 404 404 404"),
    "grants:invitation_accept": (None, "200 200 200 200 200 200 200 200 200", "302 400 400 400 400 400 400 400 400"),
    "grants:join_request_decide": ("join_request", "302 405 405 405 405 405 405 405 405", "302 302+ 404 302+ 404 404 404 404 404"),
    "grants:organisation_staff_list": (None, "302 404 404 200 404 404 404 404 404", "302 404 404 200 404 404 404 404 404"),
    "grants:organisation_staff": ("organisation", "302 404 404 200 404 404 404 404 404", "302 404 404 200 404 404 404 404 404"),
    "grants:organisation_verify": ("organisation", "302 405 405 405 405 405 405 405 405", "302 404 404 302+ 404 404 404 404 404"),
    "grants:organisation_contacts_change": ("organisation", "302 405 405 405 405 405 405 405 405", "302 404 404 400 404 404 404 404 404"),
    "grants:fund_years": (None, "302 403 403 200 403 403 403 200 200", "302 403 403 200 403 403 403 200 200"),
    "grants:fund_budget": ("fund_year", "302 403 403 200 403 403 403 200 200", "302 403 403 403 403 403 403 400 403"),
    "grants:payments": (None, "302 403 403 200 403 403 403 200 403", "302 403 403 200 403 403 403 200 403"),
    "grants:payment_mark_paid": ("payment", "302 405 405 405 405 405 405 405 405", "302 403 403 403 403 403 403 302+ 403"),
    "grants:decision_letter": ("decision", "302 200 404 200 404 404 404 200 404", "302 200 404 200 404 404 404 200 404"),
    "grants:decision_correct": (None, "302 404 404 403 404 404 404 200 404", "302 404 404 403 404 404 404 302+ 404"),
    "grants:correction_approval": ("decision", "302 404 404 403 404 404 404 404 404", "302 404 404 403 404 404 404 404 404"),
    "grants:grant_end": (None, "302 404 404 403 404 404 404 200 404", "302 404 404 403 404 404 404 302+ 404"),
    "grants:repayment_mark_received": ("repayment", "302 405 405 405 405 405 405 405 405", "302 403 403 403 403 403 403 302+ 403"),
    "grants:indicators": (None, "302 403 403 200 403 403 403 200 200", "302 403 403 200 403 403 403 200 200"),
    "grants:indicators_export": (None, "302 403 403 200 403 403 403 200 200", "302 403 403 200 403 403 403 200 200"),
    "workflows:inbox": (None, "302 200 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200 200"),
    "workflows:task": (None, "302 200 404 404 404 404 404 404 404", "302 409 404 404 404 404 404 404 404"),
    "workflows:final_report_autosave": (None, "302 405 405 405 405 405 405 405 405", "302 409 404 404 404 404 404 404 404"),
    "workflows:claim": (None, "302 405 405 405 405 405 405 405 405", "302 302+ 404 404 404 404 404 404 404"),
    "workflows:release": (None, "302 405 405 405 405 405 405 405 405", "302 302+ 404 404 404 404 404 404 404"),
    "workflows:case_list": (None, "302 403 403 200 403 403 403 200 403", "302 403 403 200 403 403 403 200 403"),
    "workflows:case_detail": ("case", "302 404 404 200 404 404 404 200 404", "302 404 404 200 404 404 404 200 404"),
    "reviewers:home": (None, "302 403 403 403 200 200 200 403 403", "302 403 403 403 200 200 200 403 403"),
    "reviewers:assignment": ("assignment", "302 404 404 404 200 404 404 404 404", "302 404 404 404 400 404 404 404 404"),
    "reviewers:case_reviews": (None, "302 404 404 200 404 404 404 200 404", "302 404 404 403 404 404 404 403 404"),
    "reviewers:review_close": (None, "302 405 405 405 405 405 405 405 405", "302 404 404 302+ 404 404 404 403 404"),
    "reviewers:assignment_deadline": ("assignment", "302 404 404 200 404 404 404 403 404", "302 404 404 400 404 404 404 403 404"),
    "reviewers:summary_csv": (None, "302 404 404 200 200 404 404 200 404", "302 404 404 200 200 404 404 200 404"),
    "notifications:settings": (None, "302 200 200 200 200 200 200 200 200", "302 302+ 302+ 302+ 302+ 302+ 302+ 302+ 302+"),
    "notifications:resend": ("case_mail", "302 405 405 405 405 405 405 405 405", "302 404 404 302+ 404 404 404 302+ 404"),
    "notifications:outbox": (None, "302 404 404 200 404 404 404 200 404", "302 404 404 200 404 404 404 200 404"),
    "notifications:resend_unattached": ("mail", "302 405 405 405 405 405 405 405 405", "302 404 404 302+ 404 404 404 302+ 404"),
    "catalogue:catalogue_csv": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:catalogue_json": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:feed": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:manage_list": (None, "302 403 403 200 403 403 403 200 403", "302 403 403 200 403 403 403 200 403"),
    "catalogue:manage_practice": (None, "302 403 403 404 403 403 403 404 403", "302 403 403 404 403 403 403 404 403"),
    "catalogue:opendata": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:opendata_360": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:practice_detail": ("case", "404 404 404 404 404 404 404 404 404", "404 404 404 404 404 404 404 404 404"),
    "catalogue:practice_list": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:practice_map": (None, "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    "catalogue:practice_prepare": (None, "302 405 405 405 405 405 405 405 405", "302 403 403 404 403 403 403 404 403"),
    "catalogue:practice_publish": (None, "302 405 405 405 405 405 405 405 405", "302 403 403 404 403 403 403 404 403"),
    "catalogue:practice_unpublish": (None, "302 405 405 405 405 405 405 405 405", "302 403 403 404 403 403 403 404 403"),
    "mfa_activate_totp": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "mfa_authenticate": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "mfa_deactivate_totp": (None, "302 404 404 404 404 404 404 404 404", "302 404 404 404 404 404 404 404 404"),
    "mfa_download_recovery_codes": (None, "302 404 404 404 404 404 404 404 404", "302 404 404 404 404 404 404 404 404"),
    "mfa_generate_recovery_codes": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "mfa_index": (None, "302 200 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405 405"),
    "mfa_reauthenticate": (None, "302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302"),
    "mfa_view_recovery_codes": (None, "302 404 404 404 404 404 404 404 404", "302 405 405 405 405 405 405 405 405"),
    "workflows:my_data": (None, "302 200 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405 405"),
    "workflows:my_data_json": (None, "302 200 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405 405"),
    "workflows:people": (None, "302 404 404 404 404 404 404 200 404", "302 405 405 405 405 405 405 405 405"),
    "workflows:person_detail": ("person", "302 404 404 404 404 404 404 200 404", "302 404 404 404 404 404 404 400 404"),
    "workflows:person_json": ("person", "302 404 404 404 404 404 404 200 404", "302 405 405 405 405 405 405 405 405"),
    "grants:accessibility": (None, "200 200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405 405"),
    "workflows:case_diagram": ("case", "302 404 404 200 404 404 404 200 404", "302 405 405 405 405 405 405 405 405"),
    "workflows:completion_autosave": (None, "302 405 405 405 405 405 405 405 405", "302 400 404 404 404 404 404 404 404"),
}

ADMIN = ("302 302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302 302")

# The other URL keyword arguments, by name (the admin's are never looked up: no persona is staff).
STATIC_KWARGS = {"year": 0, "fmt": "csv", "key": "no-such-key", "uidb36": "1", "app_label": "grants",
                 "content_type_id": "1", "object_id": "1", "id": "1"}

# A POST with what most forms need, so that a refusal is a refusal and not a missing field.
POST_DATA = {
    "email": "matrix@example.org", "decision": "approve", "outcome": "granted", "amount": "1000",
    "approve": "yes", "reason": "Matris.", "note": "Matris.", "comment": "Matris.", "title": "Matris",
    "language": "sv", "email_frequency": "immediate", "deadline": "2099-01-01", "remove": [], "add": "",
    "paid_on": "2026-01-01", "received_on": "2026-01-01", "reference": "X", "confirm": "1", "version": "1",
    "description": "Matris", "motivation": "Matris.", "conditions": "",
}


def url_patterns(resolver=None, namespace=None):
    """(name, pattern) of every named URL pattern, with its namespace."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            yield from url_patterns(pattern, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def pattern_kwargs(pattern) -> list[str]:
    from django.urls.resolvers import RegexPattern, RoutePattern

    if isinstance(pattern.pattern, RoutePattern):
        return list(pattern.pattern.converters)
    assert isinstance(pattern.pattern, RegexPattern)
    return list(pattern.pattern.regex.groupindex)


def expectation(name):
    if name.startswith("admin:") and name not in EXPECT:
        return "admin", *ADMIN
    return EXPECT[name]


def statuses(line: str) -> list[str]:
    values = line.split()
    assert len(values) == len(PERSONAS), line
    return values


# --- the fixture case ------------------------------------------------------------------------------------

@pytest.fixture
def world(applicant, organisation, other_applicant, case_officer, reviewer, secretary, steering, call, fund_year):
    """One granted case (reviewed by one reviewer, with a conflicted second), a draft, and everything a
    pattern can point at: task, decision, payment, repayment, attachments, mails, invitation, request."""
    rev_confl = UserFactory(role=roles.REVIEWER, full_name="Jävig Granskare")
    review_settings = settings_for_fund(call.fund)
    review_settings.reviewers.set([reviewer, rev_confl])
    review_settings.reviewers_per_application = 2
    review_settings.quorum = 1
    review_settings.save()

    case = ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
    attachments.attachment_add(application_id=case.pk, user=applicant,
                               upload=SimpleUploadedFile("budget.pdf", pdf_bytes()))
    submit(case, applicant)
    check_pass(case, case_officer)
    conflicted = Assignment.objects.get(application=case, reviewer=rev_confl)
    assignment_declare(assignment_id=conflicted.pk, user=rev_confl, conflict=True, reason="Styrelseledamot.")
    review(case, reviewer)
    grant(case, secretary)
    rev_not = UserFactory(role=roles.REVIEWER, full_name="Ofrågad Granskare")

    draft = ApplicationFactory(organisation=organisation, call=call, created_by=applicant, title="Utkast")
    draft_attachment = attachments.attachment_add(application_id=draft.pk, user=applicant,
                                                  upload=SimpleUploadedFile("plan.pdf", pdf_bytes()))
    invitation = memberships.invitation_create(organisation_id=organisation.pk, user=applicant,
                                                 email="kollega@example.org")
    requester = UserFactory(full_name="Sökande Utan Organisation")
    JoinRequest.objects.create(organisation=organisation, user=requester, name_given="X")
    repayment = Repayment.objects.create(application=case, reason=Repayment.Reason.choices[0][0],
                                         amount=Decimal("1000"), due_on=timezone.localdate() + timedelta(days=30),
                                         claimed_by=secretary)
    objects = {
        "case": case,
        "draft": draft,
        "call": call,
        "organisation": organisation,
        "fund_year": fund_year,
        "decision": case.decisions.get(),
        "payment": case.payments.order_by("pk").first(),
        "repayment": repayment,
        "attachment": case.attachments.get(),
        "draft_attachment": draft_attachment,
        "assignment": Assignment.objects.get(application=case, reviewer=reviewer),
        "case_mail": case.outbox.order_by("pk").first(),
        "mail": OutboxMessage.objects.get(kind="invitation"),
        "join_request": JoinRequest.objects.get(),
        "person": applicant,
        "admin": None,
    }
    people = {"anon": None, "appl": applicant, "other": other_applicant, "officer": case_officer,
              "rev_asked": reviewer, "rev_not": rev_not, "rev_confl": rev_confl, "secr": secretary,
              "steer": steering}
    named = {**STATIC_KWARGS, "application_pk": case.pk, "call_pk": call.pk, "task_pk": open_task(case).pk,
             "token": invitation.token, "slug": call.fund.slug, "year": timezone.localdate().year}
    # the applicant's own organisation: the other applicant posting it is refused
    post_data = {**POST_DATA, "organisation": str(organisation.pk)}
    return objects, people, named, post_data


def url_for(name, pattern, pk_object, objects, named) -> str:
    kwargs = {}
    for key in pattern_kwargs(pattern):
        if key == "pk":
            kwargs[key] = objects[pk_object].pk
        else:
            kwargs[key] = named[key]
    return reverse(name, kwargs=kwargs)


KEY_MODELS = [Application, Membership, Organisation, OrganisationEvent, JoinRequest, Invitation, Event,
              OutboxMessage, Decision, Payment, Repayment, ExAnteCheck, Assignment, Review, FinalReport, Attachment,
              LedgerEntry, BudgetChange, FundYear, Task, Process, User, EmailAddress]


def snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values_list()) for model in KEY_MODELS}


def changed(before, after) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def writes_so_far() -> int:
    """A counter of the rows this connection has inserted, updated or deleted (rolled back or not)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_all_tables")
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def request_once(client, method, url, before, post_data=POST_DATA):
    """One request inside a savepoint that is rolled back (the client's cookies are restored too, and the
    rate-limit counters cleared), so every request meets the same fixture case. Returns the status and
    the key tables that changed: compared in full whenever the connection wrote anything at all."""
    saved = dict(client.cookies.items())
    cache.clear()
    with transaction.atomic():
        writes = writes_so_far()
        response = client.get(url) if method == "GET" else client.post(url, post_data)
        if response.streaming:  # the test client closes it (without closing the database connection) when read
            b"".join(response.streaming_content)
        tables = changed(before, snapshot()) if writes_so_far() != writes else []
        transaction.set_rollback(True)
    client.cookies = SimpleCookie()
    for key, morsel in saved.items():
        client.cookies[key] = morsel
    return response.status_code, tables


# --- the tests ------------------------------------------------------------------------------------------

def test_every_url_pattern_has_an_expectation():
    names = {name for name, _pattern in url_patterns()}
    missing = sorted(name for name in names - set(EXPECT) if not name.startswith("admin:"))
    stale = sorted(set(EXPECT) - names)
    assert missing == [], f"declare who may see these pages in EXPECT: {missing}"
    assert stale == [], f"these patterns no longer exist: {stale}"
    for name, (pk_object, get, post) in EXPECT.items():
        statuses(get), statuses(post.replace("+", ""))


def test_every_pattern_answers_every_persona_as_expected_and_refused_posts_change_nothing(world):
    objects, people, named, post_data = world
    clients = {}
    for persona, user in people.items():
        clients[persona] = Client()
        if user is not None:
            clients[persona].force_login(user)
    before = snapshot()
    observed, mismatches, changes = {}, [], []
    for name, pattern in url_patterns():
        pk_object, get_line, post_line = expectation(name)
        url = url_for(name, pattern, pk_object, objects, named)
        got_get, got_post = [], []
        for index, persona in enumerate(PERSONAS):
            client = clients[persona]
            status, tables = request_once(client, "GET", url, before)
            got_get.append(str(status))
            if tables:
                changes.append(f"{name} GET by {persona} ({status}) changed {tables}")
            status, tables = request_once(client, "POST", url, before, post_data)
            expected_post = statuses(post_line)[index]
            got_post.append(str(status) + ("+" if expected_post.endswith("+") else ""))
            if tables and not expected_post.endswith("+"):
                changes.append(f"{name} POST by {persona} ({status}) changed {tables}")
        observed[name] = (pk_object, " ".join(got_get), " ".join(got_post))
        if (observed[name][1], observed[name][2]) != (" ".join(statuses(get_line)), " ".join(statuses(post_line))):
            mismatches.append(f"{name}: expected {get_line!r} / {post_line!r}, got {observed[name][1]!r} / "
                              f"{observed[name][2]!r}")
    if os.environ.get("MATRIX_PRINT"):
        for name, (pk_object, get, post) in observed.items():
            if not name.startswith("admin:"):
                print(f'    "{name}": ({pk_object!r}, "{get}", "{post}"),'.replace("'", '"'))
        print("\n".join(changes))
    assert "\n".join(mismatches) == ""
    assert "\n".join(changes) == ""
    assert snapshot() == before
