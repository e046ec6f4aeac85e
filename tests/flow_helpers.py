"""Drive an application's process through the services, as the step pages do."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants.models import ChecklistItem
from workflows import services
from workflows.submission import application_submit


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
    from workflows.services import assignment_declare, review_save

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
    "survey_share": 70, "lessons": "Kvällar.", "publish_consent": True,
}


def report_data(application, spent="14000", **overrides) -> dict:
    """A complete final report: the project ran the last 30 days, every planned activity was done, and the
    whole of `spent` went on the first budget line (the others cost 0), so the actual costs are `spent`."""
    lines = list(application.budget_lines.all())
    data = {
        **REPORT, "started_on": timezone.localdate() - timedelta(days=30), "ended_on": timezone.localdate(),
        "costs": [{"budget_line": line.pk, "amount": Decimal(spent) if index == 0 else Decimal("0"), "comment": ""}
                  for index, line in enumerate(lines)],
        "extra_costs": [],
        "activities": [{"activity": a.pk, "status": "done", "comment": ""} for a in application.activities.all()],
        "extra_activities": [],
    }
    data.update(overrides)
    return data


def report(application, applicant, spent="14000", **overrides):
    return services.final_report_submit(task_pk=open_task(application).pk, user=applicant,
                                        data=report_data(application, spent, **overrides))


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


def report_post_data(application, spent=None, **overrides) -> dict:
    """The final report form as a browser posts it when sending: every field, each budget line's actual cost
    (`spent`: one amount per line; default what the budget said), every planned activity done, one empty
    extra row in each extra part."""
    lines = list(application.budget_lines.all())
    spent = spent or [line.amount for line in lines]
    data = {
        "started_on": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "ended_on": timezone.localdate().isoformat(),
        "activities_done": "Åtta träffar.", "participants_women": "11", "participants_men": "9",
        "participants_other": "0", "participants_newcomers": "10", "participants_established": "10",
        "trainers_women": "1", "trainers_men": "1", "survey_share": "70", "lessons": "Kvällstid passar bäst.",
        "publish_consent": "on", "submit": "1",
    }
    for index, amount in enumerate(spent):
        data[f"costs-{index}-amount"] = str(amount)
        data[f"costs-{index}-comment"] = ""
    for index, _activity in enumerate(application.activities.all()):
        data[f"activities-{index}-status"] = "done"
        data[f"activities-{index}-comment"] = ""
    for prefix in ("extra_costs", "extra_activities"):
        data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                     f"{prefix}-MAX_NUM_FORMS": "20"})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
