"""The final report (slutrapport): what it must contain, how it is stored, and how it is read back.

The report is written over several sittings. While it is written, what the applicant types is kept
exactly as typed in a FinalReportDraft (one per application), so nothing is lost, not even a value
that is not valid yet. Sending it checks everything at once (`report_errors`) and writes one
FinalReport with its cost lines and activity lines (`report_create`, called by
workflows.services.final_report_submit under the process lock); the draft is then deleted.

`FinalReport.costs_total` is never typed: it is the sum of the report's cost lines, written together
with them, so the money owed after approval (grants.services.ledger) always agrees with the lines.

The data of a report, as the form hands it to the services:

    {"started_on": date, "ended_on": date, "activities_done": str, "participants_women": int, …,
     "survey_share": int, "lessons": str, "publish_consent": bool,
     "costs": [{"budget_line": pk, "amount": Decimal, "comment": str}, …],       # every budget line once
     "extra_costs": [{"description": str, "amount": Decimal, "comment": str}, …],
     "activities": [{"activity": pk, "status": "done"|"changed"|"not_done", "comment": str}, …],  # every one
     "extra_activities": [{"description": str, "starts_on": date, "ends_on": date|None, "comment": str}, …]}

Errors are keyed like the form: a field name, a part ("costs"), or "part-row-field" ("costs-0-amount").
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotAllowed
from grants.models import (
    Application, Attachment, Decision, FinalReport, FinalReportActivity, FinalReportCost, FinalReportDraft,
)

TEXT_FIELDS = ("activities_done", "lessons")
NUMBER_FIELDS = ("participants_women", "participants_men", "participants_other", "participants_newcomers",
                 "participants_established", "trainers_women", "trainers_men", "survey_share")
REPORT_FIELDS = ("started_on", "ended_on", "activities_done", *NUMBER_FIELDS, "lessons", "publish_consent")
LIST_PARTS = ("costs", "extra_costs", "activities", "extra_activities")
PLANNED_STATUSES = (FinalReportActivity.Status.DONE, FinalReportActivity.Status.CHANGED,
                    FinalReportActivity.Status.NOT_DONE)

# What a draft may hold: at most this many keys, and this many characters per value.
DRAFT_MAX_KEYS = 1000
DRAFT_MAX_VALUE = 20000


def _filled(value) -> bool:
    return value not in (None, "") and (not isinstance(value, str) or value.strip() != "")


# -- what a report must contain -----------------------------------------------------------------------

def report_errors(application: Application, data: dict) -> dict[str, list[str]]:
    """Everything that stops the report from being sent, by field, part or row."""
    errors: dict[str, list[str]] = {}

    def add(key, message):
        errors.setdefault(key, []).append(str(message))

    started, ended = data.get("started_on"), data.get("ended_on")
    if started is None:
        add("started_on", _("Enter the date the project really started."))
    if ended is None:
        add("ended_on", _("Enter the date the project really ended."))
    if started and ended and ended < started:
        add("ended_on", _("The project cannot end before it starts."))
    if ended and ended > timezone.localdate():
        add("ended_on", _("The end date is in the future. Send the final report when the project has ended."))

    if not _filled(data.get("activities_done")):
        add("activities_done", _("Describe in a few sentences what you did in the project."))
    if not _filled(data.get("lessons")):
        add("lessons", _("Tell us what you learnt: what worked well, and what you would change."))
    for field in NUMBER_FIELDS:
        value = data.get(field)
        if value is None:
            add(field, _("Enter a number (0 if none)."))
        elif value < 0:
            add(field, _("The number cannot be negative."))
    survey = data.get("survey_share")
    if survey is not None and survey > 100:
        add("survey_share", _("A share is at most 100 %."))
    genders = [data.get(f) for f in ("participants_women", "participants_men", "participants_other")]
    groups = [data.get(f) for f in ("participants_newcomers", "participants_established")]
    if all(v is not None for v in genders):
        total = sum(genders)
        if total == 0:
            add("participants_women", _("Enter how many took part. A project without participants cannot be "
                                        "reported as carried out."))
        elif all(v is not None for v in groups) and sum(groups) > total:
            add("participants_established", _(
                "Newly arrived and long-established residents add up to %(groups)s, but %(total)s took part "
                "(women, men and other together). They cannot be more.") % {"groups": sum(groups), "total": total})

    _cost_errors(application, data, add)
    _activity_errors(application, data, add)
    return errors


def _cost_errors(application, data, add) -> None:
    lines = {line.pk: line for line in application.budget_lines.all()}
    rows = data.get("costs") or []
    reported = [row.get("budget_line") for row in rows]
    if sorted(reported, key=str) != sorted(lines, key=str):
        add("costs", _("Report what each line of the budget cost: one row per budget line."))
    for index, row in enumerate(rows):
        amount = row.get("amount")
        if amount is None:
            add(f"costs-{index}-amount", _("Enter what this cost came to, in kronor (0 if nothing)."))
        elif amount < 0:
            add(f"costs-{index}-amount", _("A cost cannot be negative."))
    for index, row in enumerate(data.get("extra_costs") or []):
        if not _filled(row.get("description")):
            add(f"extra_costs-{index}-description", _("Describe the cost, or empty the row."))
        amount = row.get("amount")
        if amount is None:
            add(f"extra_costs-{index}-amount", _("Enter what the cost came to, in kronor."))
        elif amount < 0:
            add(f"extra_costs-{index}-amount", _("A cost cannot be negative."))


def _activity_errors(application, data, add) -> None:
    planned = {activity.pk for activity in application.activities.all()}
    rows = data.get("activities") or []
    reported = [row.get("activity") for row in rows]
    if sorted(reported, key=str) != sorted(planned, key=str):
        add("activities", _("Tell us what became of each planned activity: one row per activity."))
    for index, row in enumerate(rows):
        status = row.get("status")
        if status not in PLANNED_STATUSES:
            add(f"activities-{index}-status", _("Choose done as planned, done but changed, or not done."))
        elif status != FinalReportActivity.Status.DONE and not _filled(row.get("comment")):
            add(f"activities-{index}-comment", _("Tell us what changed, or why the activity was not done."))
    for index, row in enumerate(data.get("extra_activities") or []):
        if not _filled(row.get("description")):
            add(f"extra_activities-{index}-description", _("Describe the activity, or empty the row."))
        start, end = row.get("starts_on"), row.get("ends_on")
        if start is None:
            add(f"extra_activities-{index}-starts_on", _("Enter the date of the activity."))
        elif end and end < start:
            add(f"extra_activities-{index}-ends_on", _("The activity cannot end before it starts."))


# -- writing a report ------------------------------------------------------------------------------------

def report_create(*, application: Application, user, data: dict) -> FinalReport:
    """Write a complete report (checked by `report_errors`) with its lines, and drop the draft.

    Runs inside the caller's transaction, with the application row locked."""
    unknown = set(data) - set(REPORT_FIELDS) - set(LIST_PARTS)
    if unknown:
        raise ValueError(f"Unknown report data: {sorted(unknown)} (costs_total is the sum of the cost lines)")
    errors = report_errors(application, data)
    if errors:
        raise ValidationError(errors)
    costs = [dict(row) for row in data["costs"]]
    extra_costs = [dict(row) for row in data.get("extra_costs") or []]
    total = sum((row["amount"] for row in costs + extra_costs), Decimal("0"))
    fields = {name: data.get(name) for name in REPORT_FIELDS}
    fields["publish_consent"] = bool(fields["publish_consent"])
    for name in TEXT_FIELDS:
        fields[name] = fields[name].strip()
    report = FinalReport(application=application, submitted_by=user, submitted_at=timezone.now(),
                         costs_total=total, **fields)
    report.full_clean()
    report.save()

    order = {line.pk: position for position, line in enumerate(application.budget_lines.all())}
    cost_rows = [FinalReportCost(report=report, position=order[row["budget_line"]], budget_line_id=row["budget_line"],
                                 amount=row["amount"], comment=(row.get("comment") or "").strip())
                 for row in costs]
    cost_rows += [FinalReportCost(report=report, position=len(order) + index, description=row["description"].strip(),
                                  amount=row["amount"], comment=(row.get("comment") or "").strip())
                  for index, row in enumerate(extra_costs)]
    FinalReportCost.objects.bulk_create(cost_rows)

    planned = {activity.pk: position for position, activity in enumerate(application.activities.all())}
    activity_rows = [FinalReportActivity(report=report, position=planned[row["activity"]], activity_id=row["activity"],
                                         status=row["status"], comment=(row.get("comment") or "").strip())
                     for row in data["activities"]]
    activity_rows += [FinalReportActivity(
        report=report, position=len(planned) + index, status=FinalReportActivity.Status.ADDED,
        description=row["description"].strip(), starts_on=row["starts_on"], ends_on=row.get("ends_on"),
        comment=(row.get("comment") or "").strip(),
    ) for index, row in enumerate(data.get("extra_activities") or [])]
    FinalReportActivity.objects.bulk_create(activity_rows)
    FinalReportDraft.objects.filter(application=application).delete()
    return report


# -- the draft -------------------------------------------------------------------------------------------

def draft_data_clean(data: dict) -> dict:
    """The report draft as stored: strings, within the size limits (for
    workflows.services.steps.final_report_draft_save)."""
    if not isinstance(data, dict) or len(data) > DRAFT_MAX_KEYS:
        raise NotAllowed(_("The report is too large to be saved."))
    clean = {}
    for key, value in data.items():
        if not isinstance(key, str) or len(key) > 100:
            raise NotAllowed(_("The report is too large to be saved."))
        if value is None:
            continue
        value = str(value)
        if len(value) > DRAFT_MAX_VALUE:
            raise NotAllowed(_("A field is too long to be saved: at most %(max)s characters.")
                             % {"max": DRAFT_MAX_VALUE})
        clean[key] = value
    return clean


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(value.quantize(Decimal("1")))
    return str(value)


def report_as_typed(application: Application, report: FinalReport) -> dict:
    """A sent report as the form's fields (to start a completion round from what was sent)."""
    data = {name: _text(getattr(report, name)) for name in REPORT_FIELDS if name != "publish_consent"}
    if report.publish_consent:
        data["publish_consent"] = "on"
    lines = {line.budget_line_id: line for line in report.cost_lines.all() if line.budget_line_id}
    for index, budget_line in enumerate(application.budget_lines.all()):
        line = lines.get(budget_line.pk)
        if line is not None:
            data[f"costs-{index}-amount"] = _text(line.amount)
            data[f"costs-{index}-comment"] = line.comment
    extra = [line for line in report.cost_lines.all() if not line.budget_line_id]
    data["extra_costs-TOTAL_FORMS"] = str(len(extra))
    for index, line in enumerate(extra):
        data.update({f"extra_costs-{index}-description": line.description,
                     f"extra_costs-{index}-amount": _text(line.amount), f"extra_costs-{index}-comment": line.comment})
    done = {line.activity_id: line for line in report.activity_lines.all() if line.activity_id}
    for index, activity in enumerate(application.activities.all()):
        line = done.get(activity.pk)
        if line is not None:
            data[f"activities-{index}-status"] = line.status
            data[f"activities-{index}-comment"] = line.comment
    added = [line for line in report.activity_lines.all() if not line.activity_id]
    data["extra_activities-TOTAL_FORMS"] = str(len(added))
    for index, line in enumerate(added):
        data.update({f"extra_activities-{index}-description": line.description,
                     f"extra_activities-{index}-starts_on": _text(line.starts_on),
                     f"extra_activities-{index}-ends_on": _text(line.ends_on),
                     f"extra_activities-{index}-comment": line.comment})
    return data


def report_start(application: Application) -> tuple[dict, int]:
    """What the report form opens with, and the draft's version (0 when there is no draft yet):
    the draft if there is one; else the report that was sent back for completion; else the planned dates."""
    draft = FinalReportDraft.objects.filter(application=application).first()
    if draft is not None:
        return dict(draft.data), draft.version
    previous = submitted_reports(application).first()
    if previous is not None:
        return report_as_typed(application, previous), 0
    return {"started_on": _text(application.start_date), "ended_on": _text(application.end_date)}, 0


# -- reading a report ---------------------------------------------------------------------------------

def submitted_reports(application: Application):
    """The application's sent reports, latest first."""
    return application.final_reports.order_by("-submitted_at", "-pk")


def latest_report_detail(application: Application) -> dict | None:
    """`report_detail` of the latest sent report, or None; no query when the application's final reports, as
    `selectors.application_parts_read` reads them, are none."""
    if not application.final_reports.all():
        return None
    return report_detail(submitted_reports(application).select_related("submitted_by").first())


def granted_amount(application: Application) -> Decimal | None:
    """The amount of the grant in effect."""
    grant = application.decisions.filter(status=Decision.Status.EFFECTIVE, outcome=Decision.Outcome.GRANTED).order_by(
        "-decided_at", "-pk").first()
    return grant.amount if grant else None


def report_detail(report: FinalReport | None) -> dict | None:
    """A sent report with its lines side by side with the plan: each budget line's budget and actual cost,
    the granted amount, each planned activity and what became of it, and the report's files."""
    if report is None:
        return None
    application = report.application
    costs = []
    for line in report.cost_lines.select_related("budget_line"):
        budgeted = line.budget_line.amount if line.budget_line else None
        costs.append({
            "description": line.budget_line.description if line.budget_line else line.description,
            "budgeted": budgeted, "amount": line.amount, "comment": line.comment,
            "difference": line.amount - budgeted if budgeted is not None else None,
            "in_budget": line.budget_line is not None,
        })
    budgeted_total = sum((line.amount or Decimal("0") for line in application.budget_lines.all()), Decimal("0"))
    granted = granted_amount(application)
    activities = [{
        "description": line.activity.description if line.activity else line.description,
        "planned_on": line.activity.starts_on if line.activity else None,
        "planned_until": line.activity.ends_on if line.activity else None,
        "starts_on": line.starts_on, "ends_on": line.ends_on,
        "status": line.status, "status_label": line.get_status_display(), "comment": line.comment,
        "planned": line.activity is not None,
    } for line in report.activity_lines.select_related("activity")]
    return {
        "report": report, "application": application,
        "costs": costs, "budgeted_total": budgeted_total, "granted": granted,
        "costs_total": report.costs_total,
        "over_grant": granted is not None and report.costs_total > granted,
        "activities": activities,
        # what was sent with this report: a file added later is the applicant's draft until sent again
        "attachments": application.attachments.filter(stage=Attachment.Stage.REPORT,
                                                      uploaded_at__lte=report.submitted_at),
    }
