"""Review: rubrics, fair automatic assignment, conflicts declared first, blind until submitted, the summary."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.models import Application, Event, Membership
from common.errors import NotAllowed
from reviewers import services
from workflows import services as flow_services
from reviewers.models import Assignment, Criterion, Review, ReviewRevision, ReviewSettings, Rubric
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.flow_helpers import check_pass, open_task, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(call):
    """A fund with three reviewers in its pool, two per application."""
    reviewers = [UserFactory(role="reviewer", full_name=f"Bedömare {i}") for i in range(3)]
    review_settings = services.settings_for_fund(call.fund)
    review_settings.reviewers.set(reviewers)
    review_settings.reviewers_per_application = 2
    review_settings.save()
    return reviewers


def in_review(draft, applicant, case_officer):
    submit(draft, applicant)
    check_pass(draft, case_officer)
    return list(Assignment.objects.filter(application=draft).order_by("pk"))


def declare_and_score(assignment, scores=None, recommendation="grant", na=()):
    flow_services.assignment_declare(assignment_id=assignment.pk, user=assignment.reviewer, conflict=False)
    criteria = list(assignment.rubric.criteria.order_by("position"))
    scores = scores or [4] * len(criteria)
    return flow_services.review_save(
        assignment_id=assignment.pk, user=assignment.reviewer, version=0, recommendation=recommendation,
        scores={c.pk: (None if c.code in na else s, c.code in na, "") for c, s in zip(criteria, scores)},
        submit=True)


# -- assignment ------------------------------------------------------------------------------------

def test_auto_assignment_over_200_applications_and_10_reviewers_is_balanced_and_fair(call, applicant,
                                                                                     organisation):
    reviewers = [UserFactory(role="reviewer") for _ in range(10)]
    review_settings = services.settings_for_fund(call.fund)
    review_settings.reviewers.set(reviewers)
    review_settings.reviewers_per_application = 2
    review_settings.save()
    other_orgs = [MembershipFactory(user=reviewers[i]).organisation for i in range(3)]  # 3 reviewers are contacts
    applications = []
    for i in range(200):
        org = other_orgs[i % 3] if i % 10 == 0 else organisation
        applications.append(ApplicationFactory(organisation=org, call=call, created_by=applicant, lines=False,
                                               status=Application.Status.REVIEW, submitted_at=timezone.now()))
    conflicted = {}
    for index, application in enumerate(applications[:20]):  # a declared conflict on 20 applications
        reviewer = reviewers[index % 10]
        Assignment.objects.create(application=application, reviewer=reviewer, rubric=services.rubric_for_fund(
            call.fund), status="conflict", conflict_reason="Jäv", deadline=timezone.localdate())
        conflicted[application.pk] = reviewer.pk

    for application in applications:
        services.assignments_fill(application=application)

    open_assignments = Assignment.objects.filter(status__in=Assignment.OPEN)
    assert open_assignments.count() == 400
    loads = [open_assignments.filter(reviewer=r).count() for r in reviewers]
    assert max(loads) - min(loads) <= 1, loads
    for application in applications:
        asked = set(open_assignments.filter(application=application).values_list("reviewer_id", flat=True))
        assert len(asked) == 2
        assert conflicted.get(application.pk) not in asked
        contacts = set(Membership.objects.filter(organisation=application.organisation)
                       .values_list("user_id", flat=True))
        assert not asked & contacts


def test_a_declared_conflict_replaces_the_reviewer_and_is_audited(draft, applicant, case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=True,
                                reason="Min syster är ordförande.")
    first.refresh_from_db()
    assert (first.status, first.conflict_reason) == ("conflict", "Min syster är ordförande.")
    now_asked = set(Assignment.objects.filter(application=draft, status__in=Assignment.OPEN)
                    .values_list("reviewer_id", flat=True))
    assert now_asked == {second.reviewer_id, pool[2].pk}
    assert Event.objects.get(application=draft, kind="conflict").message == "Min syster är ordförande."
    with pytest.raises(ValidationError):
        flow_services.assignment_declare(assignment_id=second.pk, user=second.reviewer, conflict=True, reason=" ")


def test_the_case_officer_can_ask_a_reviewer_but_never_a_contact_of_the_organisation(draft, applicant,
                                                                                     case_officer, pool):
    in_review(draft, applicant, case_officer)
    with pytest.raises(ValidationError):
        flow_services.assignment_add(application_id=draft.pk, reviewer=pool[0], user=case_officer)  # already asked
    Membership.objects.create(user=pool[2], organisation=draft.organisation)
    with pytest.raises(ValidationError):
        flow_services.assignment_add(application_id=draft.pk, reviewer=pool[2], user=case_officer)
    with pytest.raises(PermissionDenied):
        flow_services.assignment_add(application_id=draft.pk, reviewer=pool[2], user=pool[0])
    outsider = UserFactory(role="reviewer")
    assignment = flow_services.assignment_add(application_id=draft.pk, reviewer=outsider, user=case_officer)
    assert (assignment.assigned_by, assignment.status) == (case_officer, "declaring")


# -- blind until submitted ------------------------------------------------------------------------------

def test_a_reviewer_sees_nothing_but_title_and_organisation_before_declaring(client, draft, applicant,
                                                                           case_officer, pool):
    first, _second = in_review(draft, applicant, case_officer)
    client.force_login(first.reviewer)
    page = client.get(reverse("reviewers:assignment", args=[first.pk])).content.decode()
    assert draft.title in page and draft.organisation.name in page
    assert draft.problem not in page and draft.summary not in page


def test_blind_until_submitted_then_what_the_fund_allows(client, draft, applicant, case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    declare_and_score(first)
    flow_services.assignment_declare(assignment_id=second.pk, user=second.reviewer, conflict=False)
    summary_urls = [reverse("reviewers:summary_csv", args=[draft.pk]), reverse("reviewers:case_reviews",
                                                                                args=[draft.pk])]
    # the second reviewer has not submitted: nothing of the first one's review
    client.force_login(second.reviewer)
    page = client.get(reverse("reviewers:assignment", args=[second.pk]))
    assert page.context["summary"] is None
    assert client.get(reverse("reviewers:assignment", args=[first.pk])).status_code == 404
    assert [client.get(url).status_code for url in summary_urls] == [404, 404]
    # after submitting: the summary (the fund allows it) but never the staff page
    flow_services.review_save(assignment_id=second.pk, user=second.reviewer, version=0, recommendation="reject",
                         scores={c.pk: (2, False, "") for c in second.rubric.criteria.all()}, submit=True)
    assert client.get(summary_urls[0]).status_code == 200
    assert client.get(summary_urls[1]).status_code == 404
    # a fund that keeps reviews apart
    ReviewSettings.objects.filter(fund=draft.call.fund).update(show_others_after_submit=False)
    assert client.get(summary_urls[0]).status_code == 404
    # the applicant never sees reviewer names
    client.force_login(applicant)
    detail = client.get(reverse("grants:application_detail", args=[draft.pk])).content.decode()
    assert all(a.reviewer.get_full_name() not in detail for a in (first, second))


# -- the step moves on ------------------------------------------------------------------------------

def test_the_review_step_ends_when_all_asked_reviewers_have_answered(draft, applicant, case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    assert open_task(draft).flow_task.name == "review"
    declare_and_score(first)
    draft.refresh_from_db()
    assert draft.status == "review"
    declare_and_score(second)
    draft.refresh_from_db()
    assert (draft.status, open_task(draft).flow_task.name) == ("decision", "decision")


def test_the_case_officer_closes_the_review_with_the_quorum(draft, applicant, case_officer, pool):
    ReviewSettings.objects.filter(fund=draft.call.fund).update(quorum=1)
    first, second = in_review(draft, applicant, case_officer)
    with pytest.raises(NotAllowed):
        flow_services.review_close(application_id=draft.pk, user=case_officer)  # no review yet
    declare_and_score(first)
    with pytest.raises(PermissionDenied):
        flow_services.review_close(application_id=draft.pk, user=first.reviewer)
    flow_services.review_close(application_id=draft.pk, user=case_officer)
    draft.refresh_from_db()
    second.refresh_from_db()
    assert (draft.status, second.status) == ("decision", "removed")
    # and: the audit trail says who was asked and whose request ended unanswered, for staff only
    asked = Event.objects.filter(application=draft, kind="reviewer_assigned")
    assert sorted(asked.values_list("subject", "message")) == sorted((a.reviewer_id, "") for a in (first, second))
    ended = Event.objects.get(application=draft, kind="reviews_ended")
    assert (ended.actor, ended.subject, ended.message, ended.visible_to_applicant) == (
        case_officer, second.reviewer, "", False)


# -- reviews: drafts, changes, conflicts of saves ------------------------------------------------------------

def test_drafts_are_kept_and_a_submitted_review_changes_with_history_until_the_decision(draft, applicant,
                                                                                      case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    criteria = list(first.rubric.criteria.all())
    draft_review = flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=0,
                                        scores={criteria[0].pk: (3, False, "Halvvägs")})
    assert (draft_review.is_submitted, draft_review.scores.get(criterion=criteria[0]).comment) == (False, "Halvvägs")
    with pytest.raises(ValidationError) as error:  # submitting needs every criterion
        flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=draft_review.version,
                             scores={criteria[0].pk: (3, False, "")}, recommendation="grant", submit=True)
    assert len(error.value.message_dict) == len(criteria) - 1
    submitted = flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=draft_review.version,
                                     scores={c.pk: (4, False, "") for c in criteria}, recommendation="grant",
                                     submit=True)
    changed = flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=submitted.version,
                                   scores={c.pk: (2, False, "") for c in criteria}, recommendation="reject")
    assert changed.recommendation == "reject" and changed.is_submitted
    assert Event.objects.filter(application=draft, kind="review_changed", actor=first.reviewer).count() == 1
    revision = ReviewRevision.objects.get(review=changed)
    assert revision.content["recommendation"] == "grant"
    assert revision.content["scores"][criteria[0].code]["score"] == 4
    Application.objects.filter(pk=draft.pk).update(status="granted")
    with pytest.raises(NotAllowed):
        flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=changed.version,
                             scores={c.pk: (5, False, "") for c in criteria}, recommendation="grant")


def test_two_saves_of_the_same_review_version_one_wins_the_other_gets_a_clear_conflict(draft, applicant,
                                                                                      case_officer, pool):
    first, _second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    criteria = list(first.rubric.criteria.all())
    base = flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=0,
                                scores={criteria[0].pk: (1, False, "")})
    flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=base.version,
                         scores={criteria[0].pk: (5, False, "flik 1")})
    with pytest.raises(services.ReviewConflict):
        flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=base.version,
                             scores={criteria[0].pk: (0, False, "flik 2")})
    assert Review.objects.get().scores.get(criterion=criteria[0]).comment == "flik 1"


# -- the summary -----------------------------------------------------------------------------------------

def test_weighted_totals_spreads_na_and_minimums_match_a_hand_computation(draft, applicant, case_officer, pool):
    rubric = services.rubric_for_fund(draft.call.fund)
    criteria = list(rubric.criteria.order_by("position"))  # relevance … accessibility (9)
    Criterion.objects.filter(pk=criteria[0].pk).update(weight=3, minimum=4)  # relevance
    Criterion.objects.filter(pk=criteria[1].pk).update(weight=2)  # coherence
    first, second = in_review(draft, applicant, case_officer)
    #                relev coher effec effic impac susta gende equal acces
    declare_and_score(first, [5, 3, 4, 4, 4, 4, 4, 4, 4], na=("accessibility",))
    declare_and_score(second, [2, 3, 4, 4, 4, 4, 4, 4, 4], recommendation="reject")
    summary = services.review_summary(draft)
    rows = {r["criterion"].code: r for r in summary["rows"]}
    assert (rows["relevance"]["mean"], rows["relevance"]["spread"]) == (Decimal("3.50"), 3)
    assert rows["relevance"]["disagreement"] and rows["relevance"]["below_minimum"]
    assert (rows["coherence"]["mean"], rows["coherence"]["spread"], rows["coherence"]["disagreement"]) == (
        Decimal("3.00"), 0, False)
    assert (rows["accessibility"]["mean"], rows["accessibility"]["n"], rows["accessibility"]["na"]) == (
        Decimal("4.00"), 1, 1)
    # (3.5×3 + 3×2 + 4×1×7) / (3 + 2 + 7) = 44.5 / 12 = 3.708…
    assert summary["weighted_total"] == Decimal("3.71")
    assert [c.code for c in summary["minimums_failed"]] == ["relevance"]
    assert [c.code for c in summary["disagreement"]] == ["relevance"]
    assert summary["recommendations"] == {"grant": 1, "reject": 1}


def test_the_summary_exports_as_csv_for_staff(client, draft, applicant, case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    declare_and_score(first)
    declare_and_score(second)
    client.force_login(case_officer)
    response = client.get(reverse("reviewers:summary_csv", args=[draft.pk]))
    lines = response.content.decode("utf-8-sig").splitlines()
    assert response.status_code == 200
    assert lines[1].split(";")[:4] == ["Relevans", "1", "4,00", "0"]
    assert len([line for line in lines if line.startswith("Bedömare ")]) == 2  # one row per review


# -- rubrics ----------------------------------------------------------------------------------------

def test_a_used_rubric_cannot_change_and_a_new_version_can(draft, applicant, case_officer, pool):
    first, _second = in_review(draft, applicant, case_officer)
    criterion = first.rubric.criteria.first()
    criterion.weight = 5
    with pytest.raises(ValidationError):
        criterion.save()
    new = services.rubric_new_version(rubric=first.rubric)
    assert (new.version, new.criteria.count()) == (first.rubric.version + 1, first.rubric.criteria.count())
    changed = new.criteria.first()
    changed.weight = 5
    changed.save()
    assert services.rubric_for_fund(draft.call.fund) == new
    assert first.rubric.criteria.get(code=changed.code).weight == 1
    assert Rubric.objects.filter(fund=draft.call.fund).count() == 2


def test_reviewers_page_lists_only_their_own_assignments(client, draft, applicant, case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    client.force_login(first.reviewer)
    page = client.get(reverse("reviewers:home"))
    assert [a.pk for a in page.context["todo"]] == [first.pk]
    client.force_login(applicant)
    assert client.get(reverse("reviewers:home")).status_code == 403


# -- the version is always checked -------------------------------------------------------------------------

def _all_scores(assignment, score, comment=""):
    return {c.pk: (score, False, comment) for c in assignment.rubric.criteria.filter(is_active=True)}


def test_two_tabs_opened_before_the_first_draft_one_saves_the_other_gets_a_conflict(draft, applicant,
                                                                                   case_officer, pool):
    # given: a reviewer who has declared, with no review yet, and two tabs open (both at version 0)
    first, _second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    # when: both tabs save their first draft
    saved = flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=0,
                                 scores=_all_scores(first, 5, "flik 1"), summary="Flik 1")
    with pytest.raises(services.ReviewConflict):
        flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=0,
                             scores=_all_scores(first, 0, "flik 2"), summary="Flik 2")
    # and: a save that brings no version at all is refused too
    with pytest.raises(services.ReviewConflict):
        flow_services.review_save(assignment_id=first.pk, user=first.reviewer, version=None,
                             scores=_all_scores(first, 0, "utan version"), summary="Utan version")
    # then: the first tab's draft is intact
    review = Review.objects.get(assignment=first)
    assert (saved.version, review.version, review.summary) == (1, 1, "Flik 1")
    assert set(review.scores.values_list("score", "comment")) == {(5, "flik 1")}
    assert ReviewRevision.objects.count() == 0


def _review_post(assignment, version, score, comment, **extra):
    data = {f"score_{c.pk}": str(score) for c in assignment.rubric.criteria.all()}
    data.update({f"comment_{c.pk}": comment for c in assignment.rubric.criteria.all()})
    data.update({"summary": comment, "save": "1", **extra})
    if version is not None:
        data["version"] = str(version)
    return data


def test_over_http_the_second_tab_gets_409_with_its_text_kept_and_nothing_is_overwritten(client, draft, applicant,
                                                                                        case_officer, pool):
    first, _second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    client.force_login(first.reviewer)
    url = reverse("reviewers:assignment", args=[first.pk])
    # given: two tabs opened before any draft exists; both forms carry version 0
    tabs = [client.get(url), client.get(url)]
    assert [t.context["form"]["version"].value() for t in tabs] == [0, 0]
    assert 'name="version" value="0"' in tabs[0].content.decode()
    # when: tab 1 saves, then tab 2
    one = client.post(url, _review_post(first, 0, 4, "Första fliken"))
    two = client.post(url, _review_post(first, 0, 1, "Andra fliken"))
    # then: tab 1 wins; tab 2 gets 409, a clear message, and its own text still in the form
    assert (one.status_code, one["Location"]) == (302, url)
    assert two.status_code == 409
    page = two.content.decode()
    assert "error-summary" in page and two.context["form"].non_field_errors() == [_(
        "Your review was saved from another window after you opened this one, so this save was refused. "
        "What you typed is still below: copy it, then reload the page to see the saved version.")]
    assert "Andra fliken" in page
    review = Review.objects.get(assignment=first)
    assert (review.version, review.summary) == (1, "Första fliken")
    assert set(review.scores.values_list("score", flat=True)) == {4}
    # and: a post without the version changes nothing and says why
    bare = client.post(url, _review_post(first, None, 2, "Utan version"))
    assert bare.status_code == 400
    assert bare.context["form"].non_field_errors() == [_("The form is incomplete. Reload the page and try again.")]
    review.refresh_from_db()
    assert (review.version, review.summary) == (1, "Första fliken")


# -- the rubric is pinned per application --------------------------------------------------------------

def test_a_replacement_reviewer_gets_the_rubric_version_the_others_have(draft, applicant, case_officer, pool):
    # given: two reviewers on rubric v1, then a v2 with another weight is published mid-review
    first, second = in_review(draft, applicant, case_officer)
    v1 = first.rubric
    assert second.rubric == v1
    v2 = services.rubric_new_version(rubric=v1)
    Criterion.objects.filter(rubric=v2, code="relevance").update(weight=3)
    assert services.rubric_for_fund(draft.call.fund) == v2
    # when: a reviewer declares a conflict (automatic replacement) and the officer asks one more
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=True, reason="Jäv")
    replacement = Assignment.objects.get(application=draft, reviewer=pool[2])
    extra = flow_services.assignment_add(application_id=draft.pk, reviewer=UserFactory(role="reviewer"),
                                    user=case_officer)
    # then: everyone on this application scores against v1; the summary has one version's criteria
    assert (replacement.rubric, extra.rubric) == (v1, v1)
    declare_and_score(second)
    declare_and_score(replacement)
    assert {row["criterion"].rubric_id for row in services.review_summary(draft)["rows"]} == {v1.pk}
    # and: a new application starts on v2
    other = ApplicationFactory(organisation=draft.organisation, call=draft.call, created_by=applicant)
    assert {a.rubric for a in in_review(other, applicant, case_officer)} == {v2}


# -- the default rubric's anchors ---------------------------------------------------------------------

def _migration():
    import importlib

    return importlib.import_module("reviewers.migrations.0006_default_rubric_anchors")


def test_the_default_rubric_has_its_own_anchored_descriptions_for_every_criterion_and_score(client, draft,
                                                                                         applicant,
                                                                                         case_officer, pool):
    migration = _migration()
    default = Rubric.objects.filter(fund__isnull=True).order_by("-version").first()
    criteria = list(default.criteria.order_by("position"))
    assert [c.code for c in criteria] == ["relevance", "coherence", "effectiveness", "efficiency", "impact",
                                          "sustainability", "gender_equality", "equal_treatment", "accessibility"]
    all_anchors = [text for c in criteria for _score, text in c.anchors()]
    assert len(set(all_anchors)) == 9 * 6  # no two criteria or scores share a description
    assert not set(all_anchors) & set(migration.GENERIC)
    for c in criteria:
        assert [text for _s, text in c.anchors()] == migration.ANCHORS[c.code]
    assert "40/60" in default.criteria.get(code="gender_equality").anchor_3
    # the reviewer sees them next to the scores
    first, _second = in_review(draft, applicant, case_officer)
    flow_services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    client.force_login(first.reviewer)
    page = client.get(reverse("reviewers:assignment", args=[first.pk])).content.decode()
    assert "5 – " + migration.ANCHORS["accessibility"][5] in page.replace("&quot;", '"')


def test_the_anchor_migration_updates_unused_rubrics_in_place_and_versions_used_ones(draft, applicant,
                                                                                   case_officer, pool):
    from django.apps import apps

    migration = _migration()
    generic = {f"anchor_{i}": text for i, text in enumerate(migration.GENERIC)}
    # given: the state before 0006: the default rubric and a fund's used rubric with the generic anchors,
    # and another fund's unused rubric where one criterion was edited by hand
    first, _second = in_review(draft, applicant, case_officer)
    used = first.rubric
    default = Rubric.objects.filter(fund__isnull=True).order_by("-version").first()
    other_fund = ApplicationFactory(lines=False).call.fund
    unused = services.rubric_for_fund(other_fund)
    Criterion.objects.filter(rubric__in=[default, used, unused]).update(**generic)
    Criterion.objects.filter(rubric=unused, code="impact").update(anchor_0="Egen text.")
    # when
    migration.anchor_rubrics(apps, None)
    # then: the unused ones are anchored in place (the hand-edited criterion is left alone)
    assert Rubric.objects.filter(fund__isnull=True).count() == 1
    assert default.criteria.get(code="relevance").anchor_5 == migration.ANCHORS["relevance"][5]
    assert unused.criteria.get(code="efficiency").anchor_2 == migration.ANCHORS["efficiency"][2]
    assert unused.criteria.get(code="impact").anchor_0 == "Egen text."
    assert Rubric.objects.filter(fund=other_fund).count() == 1
    # and: the used one is unchanged, with a new version holding the anchors, weights and minimums copied
    assert set(used.criteria.values_list("anchor_3", flat=True)) == {"Godtagbart."}
    newest = services.rubric_for_fund(draft.call.fund)
    assert (newest.version, newest.criteria.count()) == (used.version + 1, 9)
    assert newest.criteria.get(code="sustainability").anchor_4 == migration.ANCHORS["sustainability"][4]
    first.refresh_from_db()
    assert first.rubric == used
    # and: run again, nothing more happens
    migration.anchor_rubrics(apps, None)
    assert Rubric.objects.filter(fund=draft.call.fund).count() == 2


# -- the applicant sees the summaries, never a reviewer ------------------------------------------------------

def test_the_applicant_sees_the_summaries_numbered_once_the_decision_is_made(client, draft, applicant,
                                                                            case_officer, secretary, pool):
    from tests.flow_helpers import grant

    first, second = in_review(draft, applicant, case_officer)
    for assignment, text in ((first, "Tydliga mål och en bra plan."), (second, "Budgeten behöver ses över.")):
        flow_services.assignment_declare(assignment_id=assignment.pk, user=assignment.reviewer, conflict=False)
        flow_services.review_save(assignment_id=assignment.pk, user=assignment.reviewer, version=0,
                             scores=_all_scores(assignment, 3), recommendation="grant", summary=text, submit=True)
    client.force_login(applicant)
    url = reverse("grants:application_detail", args=[draft.pk])
    before = client.get(url).content.decode()
    assert "Tydliga mål" not in before and "Budgeten behöver" not in before  # waiting for the decision
    grant(draft, secretary)
    page = client.get(url).content.decode()
    reviewer_1, reviewer_2 = (_("Reviewer %(number)s") % {"number": n} for n in (1, 2))
    assert f"<dt>{reviewer_1}</dt><dd>Tydliga mål och en bra plan.</dd>" in page
    assert f"<dt>{reviewer_2}</dt><dd>Budgeten behöver ses över.</dd>" in page


def test_no_reviewer_name_or_email_appears_on_any_applicant_facing_page_or_mail(client, draft, applicant,
                                                                               case_officer, secretary, call):
    import io

    from pypdf import PdfReader

    from notifications.models import OutboxMessage
    from tests.flow_helpers import grant

    # given: reviewers with distinctive names, a granted application with their reviews, comments and summaries
    reviewers = [UserFactory(role="reviewer", full_name=name, email=email) for name, email in (
        ("Ragnhild Granskare", "ragnhild.granskare@example.org"), ("Torvald Poängsätt", "tpoang@example.org"))]
    review_settings = services.settings_for_fund(call.fund)
    review_settings.reviewers.set(reviewers)
    first, second = in_review(draft, applicant, case_officer)
    for assignment in (first, second):
        flow_services.assignment_declare(assignment_id=assignment.pk, user=assignment.reviewer, conflict=False)
        flow_services.review_save(assignment_id=assignment.pk, user=assignment.reviewer, version=0,
                             scores=_all_scores(assignment, 4, "En kommentar."), recommendation="grant",
                             summary="Ett bra projekt.", submit=True)
    grant(draft, secretary)
    secrets = [s for r in reviewers for s in (r.full_name, r.email, r.full_name.split()[1])]
    # when: the applicant follows every link from the start page and their application (same site, GET)
    client.force_login(applicant)
    start = ["/", reverse("grants:my_applications"), reverse("grants:application_detail", args=[draft.pk])]
    seen, queue, pages = set(), list(start), {}
    while queue and len(seen) < 80:
        url = queue.pop(0)
        if url in seen or url.startswith(("/static/", "/media/", "/admin/", "/accounts/logout", "/konto/logga-ut")):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            continue
        body = b"".join(response) if response.streaming else response.content
        if response.get("Content-Type", "").startswith("application/pdf"):  # the decision letter: its text
            pages[url] = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
            continue
        pages[url] = body.decode("utf-8", "replace")
        if response.get("Content-Type", "").startswith("text/html"):
            queue += [link for link in re.findall(r'href="(/[^"#]*)', pages[url]) if "logout" not in link
                      and "logga-ut" not in link]
    # then: no page shows a reviewer, and the application page shows the summary
    assert {reverse("grants:my_applications"), reverse("grants:organisation_detail", args=[draft.organisation_id]),
            reverse("grants:decision_letter", args=[draft.decisions.get().pk]),
            reverse("workflows:task", args=[open_task(draft).pk])} <= set(pages), sorted(pages)
    leaks = {url: s for url, body in pages.items() for s in secrets if s in body}
    assert leaks == {}
    assert "Ett bra projekt." in pages[reverse("grants:application_detail", args=[draft.pk])]
    # and: no mail to the applicant names a reviewer either
    mails = OutboxMessage.objects.filter(recipient=applicant.email)
    assert mails.exists()
    assert [m.pk for m in mails for s in secrets if s in f"{m.subject}\n{m.body_text}\n{m.body_html}"] == []


# -- the case officer moves one deadline ----------------------------------------------------------------

def test_the_case_officer_changes_one_reviewers_deadline_and_it_is_audited(client, draft, applicant, case_officer,
                                                                          pool):
    from datetime import timedelta

    first, second = in_review(draft, applicant, case_officer)
    today = timezone.localdate()
    assert (first.deadline, second.deadline) == (today + timedelta(days=14),) * 2  # the fund's default
    url = reverse("reviewers:assignment_deadline", args=[draft.pk, first.pk])
    client.force_login(case_officer)
    listing = client.get(reverse("reviewers:case_reviews", args=[draft.pk])).content.decode()
    assert url in listing
    assert client.get(url).status_code == 200
    # when
    new = today + timedelta(days=30)
    response = client.post(url, {"deadline": new.isoformat()})
    # then: only this assignment moved, with an event naming the reviewer and both dates
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.deadline, second.deadline) == (new, today + timedelta(days=14))
    event = Event.objects.get(application=draft, kind="review_deadline")
    assert (event.actor, event.subject, event.message, event.visible_to_applicant) == (
        case_officer, first.reviewer, f"{(today + timedelta(days=14)).isoformat()} → {new.isoformat()}", False)
    # and: the reviewer sees the new date
    client.force_login(first.reviewer)
    assert client.get(reverse("reviewers:home")).context["todo"][0].deadline == new


def test_a_deadline_in_the_past_or_by_someone_else_is_refused_and_changes_nothing(client, draft, applicant,
                                                                                 case_officer, secretary, pool):
    from datetime import timedelta

    from notifications.models import OutboxMessage

    first, second = in_review(draft, applicant, case_officer)
    url = reverse("reviewers:assignment_deadline", args=[draft.pk, first.pk])
    later = (timezone.localdate() + timedelta(days=40)).isoformat()
    mails = OutboxMessage.objects.count()
    client.force_login(case_officer)
    past = client.post(url, {"deadline": (timezone.localdate() - timedelta(days=1)).isoformat()})
    assert (past.status_code, past.context["form"].errors) == (400, {"deadline": [_("Choose today or a later day.")]})
    statuses = []
    for user in (first.reviewer, applicant, secretary):
        client.force_login(user)
        statuses.append(client.post(url, {"deadline": later}).status_code)
    assert statuses == [404, 404, 403]
    declare_and_score(second)  # a submitted review's deadline is over
    client.force_login(case_officer)
    done = client.post(reverse("reviewers:assignment_deadline", args=[draft.pk, second.pk]), {"deadline": later})
    assert (done.status_code, done.context["form"].non_field_errors()) == (
        400, [_("Only an open review's deadline can change.")])
    with pytest.raises(NotAllowed):
        flow_services.assignment_deadline_set(assignment_id=second.pk, user=case_officer,
                                         deadline=timezone.localdate() + timedelta(days=40))
    first.refresh_from_db()
    assert first.deadline == timezone.localdate() + timedelta(days=14)
    assert not Event.objects.filter(kind="review_deadline").exists()
    assert OutboxMessage.objects.count() == mails  # no mail queued


# -- the summary CSV ----------------------------------------------------------------------------------------

def test_the_csv_has_the_comments_escapes_formulas_and_totals_the_unrounded_means(client, draft, applicant,
                                                                                 case_officer, pool):
    import csv
    import io

    # given: three reviewers on two active criteria, weights 1 and 1
    ReviewSettings.objects.filter(fund=draft.call.fund).update(reviewers_per_application=3)
    rubric = services.rubric_for_fund(draft.call.fund)
    Criterion.objects.filter(rubric=rubric).exclude(code__in=["relevance", "coherence"]).update(is_active=False)
    pool[0].full_name = "=Namn med formel"
    pool[0].save()
    assignments = in_review(draft, applicant, case_officer)
    relevance, coherence = rubric.criteria.get(code="relevance"), rubric.criteria.get(code="coherence")
    given = [((3, "=1+1"), (2, "@SUM(A1:A9)"), "+46 70 123 45 67"),
             ((4, "-2 poäng för budgeten"), (3, "\tTabb först"), "Bra."),
             ((4, "Stark förankring."), (4, "\rRetur först"), "=HYPERLINK(\"http://x\")")]
    for assignment, (rel, coh, summary) in zip(sorted(assignments, key=lambda a: a.reviewer.pk), given):
        flow_services.assignment_declare(assignment_id=assignment.pk, user=assignment.reviewer, conflict=False)
        flow_services.review_save(assignment_id=assignment.pk, user=assignment.reviewer, version=0,
                             scores={relevance.pk: (rel[0], False, rel[1]), coherence.pk: (coh[0], False, coh[1])},
                             recommendation="grant", summary=summary, submit=True)
    # when
    client.force_login(case_officer)
    response = client.get(reverse("reviewers:summary_csv", args=[draft.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    # then: relevance 3, 4, 4 → 11/3 = 3.666… shown 3.67; coherence 2, 3, 4 → 3.00;
    # total (11/3 + 3) / 2 = 10/3 = 3.333… → 3.33 (from the rounded means it would be (3.67 + 3) / 2 = 3.335 → 3.34)
    assert rows[1][:5] == ["Relevans", "1", "3,67", "1", "3 4 4"]
    assert rows[2][:5] == ["Samstämmighet", "1", "3,00", "2", "2 3 4"]
    assert rows[3][:3] == [_("Weighted total"), "", "3,33"]
    summary = services.review_summary(draft)
    from fractions import Fraction
    assert (summary["weighted_total_exact"], summary["weighted_total"]) == (Fraction(10, 3), Decimal("3.33"))
    # and: every cell that a spreadsheet would run as a formula starts with an apostrophe
    reviews = rows[5:9]
    assert reviews[0] == [_("Reviewer"), _("Recommendation"), _("Summary")]
    assert [r[0] for r in reviews[1:]] == ["'=Namn med formel", "Bedömare 1", "Bedömare 2"]
    assert [r[2] for r in reviews[1:]] == ["'+46 70 123 45 67", "Bra.", "'=HYPERLINK(\"http://x\")"]
    comments = rows[10:]
    assert comments == [
        [_("Criterion"), _("Reviewer"), _("Comment")],
        ["Relevans", "'=Namn med formel", "'=1+1"],
        ["Relevans", "Bedömare 1", "'-2 poäng för budgeten"],
        ["Relevans", "Bedömare 2", "Stark förankring."],
        ["Samstämmighet", "'=Namn med formel", "'@SUM(A1:A9)"],
        ["Samstämmighet", "Bedömare 1", "'\tTabb först"],
        ["Samstämmighet", "Bedömare 2", "'\rRetur först"],
    ]


# -- the reviewer's own page ----------------------------------------------------------------------------

def test_reviewers_page_lists_due_soon_overdue_and_done(client, draft, applicant, case_officer, call, organisation):
    from datetime import timedelta

    reviewer = UserFactory(role="reviewer")
    someone_else = UserFactory(role="reviewer")
    rubric = services.rubric_for_fund(call.fund)
    today = timezone.localdate()

    def assigned(title, deadline, status="declaring", user=reviewer):
        application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant, lines=False,
                                         title=title, status=Application.Status.REVIEW,
                                         submitted_at=timezone.now())
        return Assignment.objects.create(application=application, reviewer=user, rubric=rubric, status=status,
                                         deadline=deadline, conflict_reason="Jäv" if status == "conflict" else "")

    overdue = assigned("Försenad", today - timedelta(days=1), status="active")
    due_today = assigned("Idag", today)
    due_soon = assigned("Snart", today + timedelta(days=3))
    later = assigned("Senare", today + timedelta(days=4))
    done = assigned("Klar", today - timedelta(days=5), status="submitted")
    assigned("Jäv", today, status="conflict")
    assigned("Borttagen", today, status="removed")
    assigned("Någon annans", today, user=someone_else)
    client.force_login(reviewer)
    response = client.get(reverse("reviewers:home"))
    context = response.context
    assert [a.pk for a in context["todo"]] == [overdue.pk, due_today.pk, due_soon.pk, later.pk]
    assert [a.pk for a in context["overdue"]] == [overdue.pk]
    assert [a.pk for a in context["due_soon"]] == [due_today.pk, due_soon.pk]
    assert [a.pk for a in context["done"]] == [done.pk]
    page = response.content.decode()
    for title in ("Jäv", "Borttagen", "Någon annans"):
        assert title not in page
    rows = {a.title: page.split(a.title, 1)[1].split("</tr>", 1)[0] for a in context["todo"]}
    assert ["error-text" in rows[t] for t in ("Försenad", "Idag", "Snart", "Senare")] == [True, False, False, False]
    assert [bool(re.search(r"<strong>[^<]+</strong>", rows[t])) for t in ("Försenad", "Idag", "Snart", "Senare")] \
        == [False, True, True, False]
    assert "Klar" in page.split('id="h-done"', 1)[1]
