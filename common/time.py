"""Time helpers shared by the apps (Django only)."""

from datetime import date, datetime, time

from django.utils import timezone


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the local time zone, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))
