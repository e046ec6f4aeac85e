"""Review: rubrics, fair automatic assignment, conflicts declared first, blind until submitted, the summary."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from grants.models import Application, Event, Membership
from grants.services import NotAllowed
from reviewers import services
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
    services.assignment_declare(assignment_id=assignment.pk, user=assignment.reviewer, conflict=False)
    criteria = list(assignment.rubric.criteria.order_by("position"))
    scores = scores or [4] * len(criteria)
    return services.review_save(
        assignment_id=assignment.pk, user=assignment.reviewer, version=None, recommendation=recommendation,
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
    services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=True,
                                reason="Min syster är ordförande.")
    first.refresh_from_db()
    assert (first.status, first.conflict_reason) == ("conflict", "Min syster är ordförande.")
    now_asked = set(Assignment.objects.filter(application=draft, status__in=Assignment.OPEN)
                    .values_list("reviewer_id", flat=True))
    assert now_asked == {second.reviewer_id, pool[2].pk}
    assert Event.objects.get(application=draft, kind="conflict").message == "Min syster är ordförande."
    with pytest.raises(ValidationError):
        services.assignment_declare(assignment_id=second.pk, user=second.reviewer, conflict=True, reason=" ")


def test_the_case_officer_can_ask_a_reviewer_but_never_a_contact_of_the_organisation(draft, applicant,
                                                                                     case_officer, pool):
    in_review(draft, applicant, case_officer)
    with pytest.raises(ValidationError):
        services.assignment_add(application_id=draft.pk, reviewer=pool[0], user=case_officer)  # already asked
    Membership.objects.create(user=pool[2], organisation=draft.organisation)
    with pytest.raises(ValidationError):
        services.assignment_add(application_id=draft.pk, reviewer=pool[2], user=case_officer)
    with pytest.raises(PermissionDenied):
        services.assignment_add(application_id=draft.pk, reviewer=pool[2], user=pool[0])
    outsider = UserFactory(role="reviewer")
    assignment = services.assignment_add(application_id=draft.pk, reviewer=outsider, user=case_officer)
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
    services.assignment_declare(assignment_id=second.pk, user=second.reviewer, conflict=False)
    summary_urls = [reverse("reviewers:summary_csv", args=[draft.pk]), reverse("reviewers:case_reviews",
                                                                                args=[draft.pk])]
    # the second reviewer has not submitted: nothing of the first one's review
    client.force_login(second.reviewer)
    page = client.get(reverse("reviewers:assignment", args=[second.pk]))
    assert page.context["summary"] is None
    assert client.get(reverse("reviewers:assignment", args=[first.pk])).status_code == 404
    assert [client.get(url).status_code for url in summary_urls] == [404, 404]
    # after submitting: the summary (the fund allows it) but never the staff page
    services.review_save(assignment_id=second.pk, user=second.reviewer, version=None, recommendation="reject",
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
        services.review_close(application_id=draft.pk, user=case_officer)  # no review yet
    declare_and_score(first)
    with pytest.raises(PermissionDenied):
        services.review_close(application_id=draft.pk, user=first.reviewer)
    services.review_close(application_id=draft.pk, user=case_officer)
    draft.refresh_from_db()
    second.refresh_from_db()
    assert (draft.status, second.status) == ("decision", "removed")


# -- reviews: drafts, changes, conflicts of saves ------------------------------------------------------------

def test_drafts_are_kept_and_a_submitted_review_changes_with_history_until_the_decision(draft, applicant,
                                                                                      case_officer, pool):
    first, second = in_review(draft, applicant, case_officer)
    services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    criteria = list(first.rubric.criteria.all())
    draft_review = services.review_save(assignment_id=first.pk, user=first.reviewer, version=None,
                                        scores={criteria[0].pk: (3, False, "Halvvägs")})
    assert (draft_review.is_submitted, draft_review.scores.get(criterion=criteria[0]).comment) == (False, "Halvvägs")
    with pytest.raises(ValidationError) as error:  # submitting needs every criterion
        services.review_save(assignment_id=first.pk, user=first.reviewer, version=draft_review.version,
                             scores={criteria[0].pk: (3, False, "")}, recommendation="grant", submit=True)
    assert len(error.value.message_dict) == len(criteria) - 1
    submitted = services.review_save(assignment_id=first.pk, user=first.reviewer, version=draft_review.version,
                                     scores={c.pk: (4, False, "") for c in criteria}, recommendation="grant",
                                     submit=True)
    changed = services.review_save(assignment_id=first.pk, user=first.reviewer, version=submitted.version,
                                   scores={c.pk: (2, False, "") for c in criteria}, recommendation="reject")
    assert changed.recommendation == "reject" and changed.is_submitted
    revision = ReviewRevision.objects.get(review=changed)
    assert revision.content["recommendation"] == "grant"
    assert revision.content["scores"][criteria[0].code]["score"] == 4
    Application.objects.filter(pk=draft.pk).update(status="granted")
    with pytest.raises(NotAllowed):
        services.review_save(assignment_id=first.pk, user=first.reviewer, version=changed.version,
                             scores={c.pk: (5, False, "") for c in criteria}, recommendation="grant")


def test_two_saves_of_the_same_review_version_one_wins_the_other_gets_a_clear_conflict(draft, applicant,
                                                                                      case_officer, pool):
    first, _second = in_review(draft, applicant, case_officer)
    services.assignment_declare(assignment_id=first.pk, user=first.reviewer, conflict=False)
    criteria = list(first.rubric.criteria.all())
    base = services.review_save(assignment_id=first.pk, user=first.reviewer, version=None,
                                scores={criteria[0].pk: (1, False, "")})
    services.review_save(assignment_id=first.pk, user=first.reviewer, version=base.version,
                         scores={criteria[0].pk: (5, False, "flik 1")})
    with pytest.raises(services.ReviewConflict):
        services.review_save(assignment_id=first.pk, user=first.reviewer, version=base.version,
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
    assert lines[1].split(";")[:4] == ["Relevans", "1", "4.00", "0"]
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
