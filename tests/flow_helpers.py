"""Drive an application's process through the services, as the step pages do."""

from decimal import Decimal

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants.models import ChecklistItem
from grants.services import application_submit
from workflows import services


def open_task(application) -> Task:
    """The open step of the application's process (a human task, or the review waiting for reviewers)."""
    return Task.objects.get(process__applicationprocess__application=application,
                            status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type__in=["HUMAN", "FUNCTION"])


def submit(application, user):
    return application_submit(application_id=application.pk, user=user)


def all_points(application, result="pass") -> dict:
    """A checklist answer: every point of the fund's checklist with the same result."""
    return {item.pk: (result, "") for item in ChecklistItem.objects.filter(fund_id=application.call.fund_id)}


def check_pass(application, officer):
    return services.exante_check_record(task_pk=open_task(application).pk, user=officer, outcome="pass",
                                        results=all_points(application), comment="")


def review(application, reviewer, score=4):
    """The reviewer declares no conflict and submits the same score on every criterion."""
    from reviewers.models import Assignment
    from reviewers.services import assignment_declare, review_save

    assignment = Assignment.objects.get(application=application, reviewer=reviewer)
    assignment_declare(assignment_id=assignment.pk, user=reviewer, conflict=False)
    return review_save(assignment_id=assignment.pk, user=reviewer, version=0, recommendation="grant",
                       scores={c.pk: (score, False, "") for c in assignment.rubric.criteria.all()}, submit=True)


def grant(application, secretary, amount="15000"):
    return services.decision_record(task_pk=open_task(application).pk, user=secretary, outcome="granted",
                                    amount=Decimal(amount), conditions="", motivation="Delar av budgeten är för höga.")


REPORT = {
    "activities_done": "Åtta träffar.", "participants_women": 11, "participants_men": 9, "participants_other": 0,
    "participants_newcomers": 10, "participants_established": 10, "trainers_women": 1, "trainers_men": 1,
    "costs_total": Decimal("14000"), "survey_share": 70, "lessons": "Kvällar.", "publish_consent": True,
}


def report(application, applicant):
    return services.final_report_submit(task_pk=open_task(application).pk, user=applicant, data=dict(REPORT))


def to_stage(application, stage, *, applicant, officer, reviewer, secretary):
    """Move a draft forward until its open task is `stage` (a node name)."""
    steps = [
        ("exante_check", lambda: submit(application, applicant)),
        ("review", lambda: check_pass(application, officer)),
        ("decision", lambda: review(application, reviewer)),
        ("final_report", lambda: grant(application, secretary)),
        ("report_approval", lambda: report(application, applicant)),
    ]
    for node, step in steps:
        step()
        if node == stage:
            return open_task(application)
    raise ValueError(stage)
