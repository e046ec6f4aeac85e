"""Time helpers shared by the apps (Django only)."""

from datetime import date, datetime, time

from django.utils import timezone


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in Potten's time zone (settings.TIME_ZONE, Swedish time), as an aware
    datetime: the start of a calendar day for reminders and the indicators alike."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())
