"""Writing reminders to the outbox: the recipients of each occurrence, the unrendered rows, the insert that skips
a key already written, and which occurrences are queued already."""


from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from grants.models import Membership
from notifications.models import OutboxMessage
from notifications.services import outbox_context_encode, outbox_status_for

# -- writing -----------------------------------------------------------------------------------

def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@lru_cache(maxsize=32)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


@lru_cache(maxsize=32)
def _absolute_pattern(site_url: str, name: str) -> str:
    return site_url + _url_pattern(name)


def _absolute_link(link: tuple, site_url: str) -> str:
    name, pk = link
    return _absolute_pattern(site_url, name).format(pk)


@dataclass(frozen=True)
class _Recipient:
    pk: int
    email: str
    language: str
    email_frequency: str


class _Recipients:
    """Resolves recipient specs to users, in bulk, caching role members and users for the whole sweep."""

    def __init__(self):
        self.role_members: dict[str, list[int]] = {}
        self.users: dict[int, _Recipient | None] = {}  # None: inactive or without an address
        self.contacts: dict[int, list[int]] = {}  # organisation → its active contacts

    def resolve(self, reminders) -> tuple[dict, dict[int, User]]:
        org_ids = {pk for r in reminders for kind, pk in r.to if kind == "org"} - self.contacts.keys()
        contacts = self.contacts
        if org_ids:
            for organisation_id in org_ids:
                contacts[organisation_id] = []
            for organisation_id, user_id in Membership.objects.filter(
                    organisation_id__in=org_ids, user__is_active=True).values_list("organisation_id", "user_id"):
                contacts[organisation_id].append(user_id)
        for role in {name for r in reminders for kind, name in r.to if kind == "role"} - self.role_members.keys():
            self.role_members[role] = list(User.objects.filter(groups__name=role, is_active=True)
                                           .values_list("pk", flat=True).distinct())
        per_reminder = {}
        for r in reminders:
            ids = []
            for kind, value in r.to:
                if kind == "user":
                    ids.append(value)
                elif kind == "org":
                    ids += contacts.get(value, [])
                else:
                    ids += self.role_members.get(value, [])
            per_reminder[id(r)] = list(dict.fromkeys(ids))
        missing = {pk for ids in per_reminder.values() for pk in ids} - self.users.keys()
        if missing:
            self.users.update(dict.fromkeys(missing))
            for row in User.objects.filter(pk__in=missing, is_active=True).exclude(email="").values_list(
                    "pk", "email", "language", "email_frequency"):
                self.users[row[0]] = _Recipient(*row)
        return per_reminder, self.users


# The columns a reminder's row is written with: every NOT NULL column of the outbox (the rest stay NULL).
COLUMNS = ("dedupe_key", "occurrence", "recipient", "user_id", "kind", "application_id", "language", "subject",
           "body_text", "body_html", "link", "rendered", "context", "files", "status", "attempts", "last_error",
           "created_at")


def _rows_for(batch, recipients: _Recipients) -> list[dict]:
    """The outbox rows of `batch` (column → value), one per recipient, unrendered: the worker renders each
    one in its recipient's language just before sending it (notifications.services.outbox_render_row)."""
    per_reminder, users = recipients.resolve(batch)
    created_at = timezone.now()
    site_url = settings.SITE_URL
    rows = []
    for r in batch:
        link = _absolute_link(r.link, site_url)[:500]
        context = outbox_context_encode(r.context)
        for user_id in per_reminder[id(r)]:
            user = users.get(user_id)
            if user is None:
                continue
            rows.append({
                "dedupe_key": f"{user.email.lower()}|{r.kind}|{r.object_key}|{r.stage}"[:255],
                "occurrence": r.occurrence[:255], "recipient": user.email, "user_id": user.pk, "kind": r.kind,
                "application_id": r.application_id, "language": user.language or settings.LANGUAGE_CODE,
                "subject": "", "body_text": "", "body_html": "", "link": link, "rendered": False,
                "context": context, "files": [], "status": outbox_status_for(user, r.kind), "attempts": 0,
                "last_error": "", "created_at": created_at,
            })
    # One insertion order for every sweeper, so two of them at once wait for each other, never deadlock.
    rows.sort(key=lambda row: row["dedupe_key"])
    return rows


def _insert_rows(rows) -> list[tuple[int, str]]:
    """Write the reminders (row dicts, `_rows_for`) in the current transaction; a row whose key exists (a
    concurrent sweeper's, even one not committed yet: PostgreSQL waits for it) is skipped. Returns (pk, status)
    of the rows written."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = OutboxMessage.objects.bulk_create([OutboxMessage(**row) for row in rows])
    except IntegrityError:
        created = []
        for row in rows:  # rare: someone else wrote some of these keys meanwhile
            try:
                with transaction.atomic():
                    created.append(OutboxMessage.objects.create(**row))
            except IntegrityError:
                continue
    return [(message.pk, message.status) for message in created]


def _queued(occurrences: set[str]) -> set[str]:
    """Which of these occurrences are in the outbox already (one indexed query)."""
    if connection.vendor == "postgresql":  # one array parameter instead of thousands
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT occurrence FROM {OutboxMessage._meta.db_table} WHERE occurrence = ANY(%s)",
                           [list(occurrences)])
            return {row[0] for row in cursor.fetchall()}
    return set(OutboxMessage.objects.filter(occurrence__in=occurrences).values_list("occurrence", flat=True))
