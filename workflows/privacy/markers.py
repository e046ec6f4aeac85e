"""Markers: finding and replacing a person's identifiers (e-mail address, name, further identifiers) in every
text column of every table, outside the user table, the append-only audit tables and, unless asked, the legal
record of decided cases (workflows.privacy)."""

import json
import logging
import re

from django.apps import apps
from django.db import models
from django.db.models import Q

from accounts.models import User
from grants.models import Application, AppendOnlyQuerySet



logger = logging.getLogger(__name__)

# A marker shorter than this is not searched for (it would match inside unrelated words).
MARKER_MIN_LENGTH = 3
# What replaces a person's markers in the text of a closed case whose retention period has passed.
CASE_PSEUDONYM = "[person]"
CASE_PSEUDONYM_EMAIL = "removed-{}@pseudonym.invalid"
# Tables the scrub never touches: the user table (handled on its own), the erasure records, Django's own.
_NEVER_SCRUBBED = {"accounts.user", "accounts.personaldataerasure", "contenttypes.contenttype",
                   "auth.permission", "auth.group", "sessions.session"}
# Rows that are never part of a case's legal record, even of a decided case: copies and drafts.
# A published good practice is a publication drawn from the case, not its record.
_NEVER_KEPT = {"notifications.outboxmessage", "grants.finalreportdraft", "catalogue.practice"}


# --------------------------------------------------------------------------------------------------
# Markers: finding and replacing a person's identifiers in every text column


def _label(model) -> str:
    return model._meta.label_lower


def _append_only(model) -> bool:
    return isinstance(model._default_manager.all(), AppendOnlyQuerySet)


def text_columns(model) -> list:
    """The columns of `model` that can hold typed text: char, text, e-mail, slug and JSON fields."""
    return [f for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.choices
            and not f.primary_key]


def scrubbed_models() -> list:
    """Every installed model whose text the scrub may change (not the append-only audit tables)."""
    return [m for m in apps.get_models() if not m._meta.proxy and m._meta.managed
            and _label(m) not in _NEVER_SCRUBBED and not _append_only(m) and text_columns(m)]


def application_path(model) -> str | None:
    """The lookup from `model` to the application its rows belong to ('pk' for Application), or None."""
    if model is Application:
        return "pk"
    relations = [f for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one]
    for field in relations:
        if field.related_model is Application:
            return field.name
    for field in relations:
        if field.related_model in (model, User) or field.related_model is None:
            continue
        for inner in field.related_model._meta.concrete_fields:
            if (inner.many_to_one or inner.one_to_one) and inner.related_model is Application:
                return f"{field.name}__{inner.name}"
    return None


def marker_condition(field, markers) -> Q:
    """Rows whose `field` contains any marker (case-insensitive; JSON also as its escaped form)."""
    condition = Q()
    for marker in markers:
        condition |= Q(**{f"{field.name}__icontains": marker})
        if isinstance(field, models.JSONField):
            escaped = json.dumps(marker)[1:-1]
            if escaped != marker:
                condition |= Q(**{f"{field.name}__icontains": escaped})
    return condition


def _replace(value, patterns):
    if isinstance(value, str):
        for pattern, replacement in patterns:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_replace(item, patterns) for item in value]
    if isinstance(value, dict):
        return {_replace(key, patterns): _replace(item, patterns) for key, item in value.items()}
    return value


def _patterns(replacements: dict[str, str]):
    """Longest marker first, so an address is replaced before a name inside it. A marker is replaced only as a
    whole word: "Anna Berg" is not taken out of "Anna Bergström", nor "070-12 34" out of "070-12 345"."""
    return [(re.compile(rf"(?<![\w.@+-]){re.escape(marker)}(?![\w@-])", re.IGNORECASE), lambda _m, r=replacement: r)
            for marker, replacement in sorted(replacements.items(), key=lambda kv: -len(kv[0]))]


def markers_replace(text: str, replacements: dict[str, str]) -> str:
    """`text` with each marker (key) replaced by its pseudonym (value), as `scrub` replaces them in the tables."""
    replacements = {m.strip(): r for m, r in replacements.items() if m and len(m.strip()) >= MARKER_MIN_LENGTH}
    return _replace(text, _patterns(replacements)) if replacements else text


def scrub(replacements: dict[str, str], row_filter) -> dict[str, int]:
    """Replace the markers (keys) by their pseudonyms (values) in the text columns of every scrubbed model,
    in the rows `row_filter(model, queryset)` keeps (None: the model is skipped). Returns rows changed per
    column. The update goes around save() (no timestamps move, no model guard runs)."""
    replacements = {m.strip(): r for m, r in replacements.items() if m and len(m.strip()) >= MARKER_MIN_LENGTH}
    if not replacements:
        return {}
    patterns = _patterns(replacements)
    changed: dict[str, int] = {}
    for model in scrubbed_models():
        rows = row_filter(model, model._base_manager.all())
        if rows is None:
            continue
        fields = text_columns(model)
        condition = Q()
        for field in fields:
            condition |= marker_condition(field, replacements)
        # one scan per table: the rows with a marker in any column, then only the columns that change
        for row in list(rows.filter(condition).values("pk", *(f.attname for f in fields))):
            update = {}
            for field in fields:
                value = row[field.attname]
                new = _replace(value, patterns)
                if isinstance(new, str) and field.max_length:
                    new = new[: field.max_length]
                if new != value:
                    update[field.attname] = new
                    key = f"{_label(model)}.{field.name}"
                    changed[key] = changed.get(key, 0) + 1
            if update:
                model._base_manager.filter(pk=row["pk"]).update(**update)
    return changed


def marker_hits(markers, *, include_kept: bool = False) -> list[tuple[str, int]]:
    """Where the markers still occur: (table.column, primary key) for every row outside the kept records
    (the audit tables and decided cases' legal record, unless `include_kept`). Used by tests and the page."""
    markers = [m for m in markers if m and len(m) >= MARKER_MIN_LENGTH]
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or _label(model) in ("contenttypes.contenttype",
                                                                             "auth.permission"):
            continue
        rows = model._base_manager.all()
        if not include_kept:
            if _append_only(model):
                continue
            rows = outside_legal_record(model, rows)
        for field in text_columns(model):
            for pk in rows.filter(marker_condition(field, markers)).values_list("pk", flat=True):
                found.append((f"{model._meta.db_table}.{field.column}", pk))
    return found


def decided_applications():
    """Applications whose legal record is kept: a decision was taken (or it was rejected as ineligible), and
    the fund's retention period has not yet removed their personal data."""
    return Application.objects.filter(
        Q(decisions__isnull=False) | Q(status=Application.Status.INELIGIBLE),
        personal_data_removed_at__isnull=True,
    ).values("pk")


def outside_legal_record(model, rows):
    if _label(model) in _NEVER_KEPT:
        return rows
    path = application_path(model)
    if path is None:
        return rows
    return rows.exclude(**{f"{path}__in": decided_applications()})
