"""The indicator mails that beat sends (grants/tasks.py), each at most once per period.

- Monthly status to the steering group, February to December, on the first working day the task runs
  in the month: every fund's year so far, as of the last day of the month before. Outbox stage "YYYY-MM"
  (the month it is sent in).
- The yearly report to the steering group on the first working day of January (or the first run after
  it in January): the previous year, with the PDF attached (stored once under reports/). Stage "year-YYYY"
  (the year reported on).
- A warning to the case officers and project secretaries when a target of the current year is behind:
  a whole case behind the target's pace and the pipeline does not make up for it. Once per fund, target
  and month: stage "behind-YYYY-MM-<fund slug>-<target>".

The outbox keys every mail by (recipient, kind, object, stage), so a second run in the same period
sends nothing again. The tasks take the day as an argument (ISO date) so that tests and a re-run can
name it; by default it is today in Swedish time.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts import roles
from grants.indicators.compute import compute_all
from grants.indicators.definitions import today
from grants.indicators.exports import target_rows, to_pdf
from accounts.models import User
from notifications.services import notification_queue

KIND_MONTHLY = "indicators_monthly"
KIND_YEARLY = "indicators_yearly"
KIND_BEHIND = "indicators_behind"


# -- working days ------------------------------------------------------------------------------------------

def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month = (h + weekday - 7 * m + 114) // 31
    day = (h + weekday - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def swedish_holidays(year: int) -> set[date]:
    """Public holidays that fall on a weekday can stop a mail, plus the eves that are days off in practice
    (midsummer, Christmas and New Year's Eve)."""
    easter = easter_sunday(year)
    midsummer_eve = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)
    return {
        date(year, 1, 1),  # nyårsdagen
        date(year, 1, 6),  # trettondedag jul
        easter - timedelta(days=2),  # långfredagen
        easter + timedelta(days=1),  # annandag påsk
        date(year, 5, 1),  # första maj
        easter + timedelta(days=39),  # Kristi himmelsfärdsdag
        date(year, 6, 6),  # nationaldagen
        midsummer_eve,  # midsommarafton
        date(year, 12, 24), date(year, 12, 25), date(year, 12, 26),  # julafton, juldagen, annandag jul
        date(year, 12, 31),  # nyårsafton
    }


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in swedish_holidays(day.year)


def first_working_day(year: int, month: int) -> date:
    day = date(year, month, 1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


# -- recipients and content ------------------------------------------------------------------------------------

def _people(*role_names):
    return User.objects.filter(groups__name__in=role_names, is_active=True).distinct().order_by("pk")


def _summary(indicators) -> list[dict]:
    """Plain data for the mail templates (rendered in each recipient's language)."""
    return [{"fund": ind.fund.name, "slug": ind.fund.slug, "applications": ind.applications, "amounts": ind.amounts,
             "targets": target_rows(ind)} for ind in indicators]


def _dashboard(year: int) -> str:
    return f"{reverse('grants:indicators')}?year={year}"


def _day(day) -> date:
    if day is None:
        return today()
    return date.fromisoformat(day) if isinstance(day, str) else day


def _queue(people, **kwargs) -> int:
    return sum(notification_queue(user=person, **kwargs) is not None for person in people)


# -- the three mails -----------------------------------------------------------------------------------------------

def monthly_status_send(day=None) -> int:
    """The monthly status (February to December, on a working day). Returns the number of mails queued."""
    day = _day(day)
    if day.month == 1 or not is_working_day(day):
        return 0  # January brings the yearly report instead
    people = list(_people(roles.STEERING_GROUP))
    if not people:
        return 0
    as_of = day.replace(day=1) - timedelta(days=1)
    funds = _summary(compute_all(as_of.year, as_of=as_of))
    return _queue(people, kind=KIND_MONTHLY, stage=f"{day:%Y-%m}", link=_dashboard(as_of.year),
                  context={"year": as_of.year, "as_of": as_of, "funds": funds})


def yearly_report_name(year: int) -> str:
    return f"reports/indikatorrapport-{year}.pdf"


def previous_year(year: int) -> dict:
    """{fund id: its indicators of the year before `year`, as of that year's 31 December} (the comparison)."""
    return {ind.fund.pk: ind for ind in compute_all(year - 1, as_of=date(year - 1, 12, 31), comparison=True)}


def yearly_report_store(year: int) -> str:
    """The stored PDF of `year` (made the first time; what was mailed is kept). Returns its storage name."""
    name = yearly_report_name(year)
    if not default_storage.exists(name):
        pdf = to_pdf(compute_all(year, as_of=date(year, 12, 31)), year=year, previous=previous_year(year))
        name = default_storage.save(name, ContentFile(pdf))
    return name


def yearly_report_send(day=None) -> int:
    """The previous year's report, from the first working day of January on (during January)."""
    day = _day(day)
    if day.month != 1 or day < first_working_day(day.year, 1):
        return 0
    people = list(_people(roles.STEERING_GROUP))
    if not people:
        return 0
    year = day.year - 1
    name = yearly_report_store(year)
    funds = _summary(compute_all(year, as_of=date(year, 12, 31)))
    return _queue(people, kind=KIND_YEARLY, stage=f"year-{year}", link=_dashboard(year),
                  context={"year": year, "funds": funds},
                  files=[{"name": name, "filename": f"indikatorrapport-{year}.pdf", "content_type": "application/pdf"}])


def behind_warning_send(day=None) -> int:
    """Warn the staff about every target of the current year that is behind (on working days)."""
    day = _day(day)
    if not is_working_day(day):
        return 0
    people = list(_people(roles.CASE_OFFICER, roles.SECRETARY))
    if not people:
        return 0
    queued = 0
    for ind in compute_all(day.year, as_of=day, detail=False):  # the targets only
        for key, target in ind.targets.items():
            if target.status != "behind":
                continue
            queued += _queue(people, kind=KIND_BEHIND, stage=f"behind-{day:%Y-%m}-{ind.fund.slug}-{key}",
                             link=f"{_dashboard(day.year)}&fund={ind.fund.slug}",
                             context={"fund": ind.fund.name, "year": day.year, "as_of": day,
                                      "target": {"key": key, "label": target.label, "target": target.target,
                                                 "actual": target.actual, "expected": target.expected_by_now,
                                                 "forecast": target.forecast}})
    return queued
