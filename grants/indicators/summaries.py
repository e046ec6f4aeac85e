"""Stored summaries of the indicators (PostgreSQL): the dashboard, the exports and the mails read a fund's year from
a stored computation while it still holds, and compute it only when a record it counts has changed.

Each fund's year is stored apart, so a change in one fund leaves the others' served, and the overview of every
fund computes only the funds that changed (in one computation, as `compute_many` does for any set of funds).

Exact, not a cache with a lifetime: each summary is stored with the database snapshot its computation started
from (`pg_current_snapshot()`). Every statement that writes a record the indicators read adds, through a trigger
in the same transaction, a row per fund it touched to the change log (migration grants 0023). A summary is served
only if no change of its funds has committed outside its snapshot, its clock has not moved (the day, and the next
moment a call of its funds closes, which the forecast depends on) and the code computing it is the same; otherwise
the indicators are computed afresh and stored again. A computation that started before a change but read part
of it is stored under the older snapshot and is therefore never served. A transaction that has written anything
itself neither stores a summary (it could roll back) nor is served one of the funds it changed (its own change
rows are visible to it).

The writers take no lock but their own insert into the change log. `prune` (every minute, grants.tasks) removes old
summaries and change rows; a summary whose snapshot could have missed a change pruned is never served.
SQLite has no triggers here: the indicators are always computed.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from datetime import timedelta
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from grants.indicators.definitions import today

logger = logging.getLogger(__name__)

SUMMARY = "grants_indicator_summary"
CHANGE = "grants_indicator_change"
PRUNED = "grants_indicator_pruned"
# How long a summary and a change row are kept at most.
KEPT = timedelta(days=1)
CHANGES_KEPT = timedelta(days=1)


def _code_version() -> str:
    """A digest of the code behind the figures and the pages made from them (this package, the money figures, the
    models, the dashboard's view and templates, the formatting and the translations): a new release that computes
    or shows them differently never reads what the old one stored."""
    grants = Path(__file__).resolve().parent.parent
    root = grants.parent
    digest = hashlib.sha256()
    for path in sorted([*grants.joinpath("indicators").glob("*.py"), grants / "selectors.py",
                        *grants.joinpath("models").glob("*.py"), grants / "views" / "indicators.py",
                        grants / "excel_csv.py", *root.joinpath("templates", "grants").glob("indicators*.html"),
                        *root.joinpath("templates", "grants", "includes").glob("indicators*.html"),
                        root / "common" / "formatting.py", *root.joinpath("locale").glob("*/LC_MESSAGES/django.mo")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()

# One query, before any computation: the stored summaries asked for (by key) that still hold, and with them the
# snapshot a computation would start from, whether this transaction has written anything, and when the clock next
# changes a figure (the next closing of a call of these funds, or of any fund: the forecast counts the closed
# calls). A summary of one fund holds while no change of that fund, and none of every fund (a NULL fund: a
# truncation), has committed outside its snapshot; a summary of every fund (a NULL fund) while no change at all has.
# Each NOT EXISTS reads one index range: (fund_id, xid), or xid.
FETCH_SQL = f"""
SELECT now.snapshot, now.clean, now.next_closing, s.key, s.data
FROM (SELECT pg_current_snapshot()::text AS snapshot, pg_current_xact_id_if_assigned() IS NULL AS clean,
             (SELECT MIN(closes_at) FROM grants_call
              WHERE (%(funds)s::integer[] IS NULL OR fund_id = ANY(%(funds)s::integer[])) AND closes_at > %(now)s)
               AS next_closing) now
LEFT JOIN (
  SELECT s.key, s.data FROM {SUMMARY} s
  WHERE s.key = ANY(%(keys)s) AND s.expires_at > %(now)s
    AND EXISTS (SELECT 1 FROM {PRUNED} p WHERE pg_snapshot_xmin(s.snapshot) >= p.below
                OR pg_visible_in_snapshot(p.pruned_by, s.snapshot))
    AND NOT EXISTS (
      SELECT 1 FROM {CHANGE} c
      WHERE c.fund_id = s.fund_id AND c.xid >= pg_snapshot_xmin(s.snapshot)
        AND NOT pg_visible_in_snapshot(c.xid, s.snapshot))
    AND NOT EXISTS (
      SELECT 1 FROM {CHANGE} c
      WHERE c.fund_id IS NULL AND c.xid >= pg_snapshot_xmin(s.snapshot)
        AND NOT pg_visible_in_snapshot(c.xid, s.snapshot))
    AND NOT (s.fund_id IS NULL AND EXISTS (
      SELECT 1 FROM {CHANGE} c
      WHERE c.xid >= pg_snapshot_xmin(s.snapshot) AND NOT pg_visible_in_snapshot(c.xid, s.snapshot)))
) s ON true
"""
STORE_SQL = f"""
INSERT INTO {SUMMARY} (key, fund_id, snapshot, expires_at, data)
SELECT stored.key, stored.fund_id, %(snapshot)s::pg_snapshot, %(expires_at)s, stored.data
FROM unnest(%(keys)s::text[], %(funds)s::integer[], %(data)s::bytea[]) AS stored (key, fund_id, data)
ON CONFLICT (key) DO UPDATE SET fund_id = EXCLUDED.fund_id, snapshot = EXCLUDED.snapshot,
  expires_at = EXCLUDED.expires_at, created_at = now(), data = EXCLUDED.data
"""


def enabled() -> bool:
    return connection.vendor == "postgresql"


def summary_key(fund_id: int, year: int, *, as_of, today, detail: bool, comparison: bool) -> str:
    text = f"{CODE_VERSION}|{fund_id}|{year}|{as_of.isoformat()}|{today.isoformat()}|{int(detail)}{int(comparison)}"
    return hashlib.sha256(text.encode()).hexdigest()


def summarised(funds: list, year: int, *, as_of, today, detail: bool, comparison: bool, compute) -> dict:
    """{fund id: Indicators} of `funds`: each fund's from its stored summary while it holds, the others from
    `compute(funds)` ({fund id: Indicators} of the funds given, as `compute_many`), in one computation. `compute`
    must read every record it counts itself, after it is called: it is stored with the snapshot taken just before."""
    if not enabled() or not funds:
        return compute(funds)
    keys = {fund.pk: summary_key(fund.pk, year, as_of=as_of, today=today, detail=detail, comparison=comparison)
            for fund in funds}
    now = timezone.now()
    snapshot, clean, next_closing, found = _fetch(list(keys.values()), list(keys), now)
    result = {}
    for fund_id, key in keys.items():
        if key in found:
            stored = _loaded(found[key])
            if stored is not None:
                result[fund_id] = stored
    for fund in funds:
        if fund.pk in result:
            result[fund.pk].fund = fund  # the caller's own instance, as a computation returns it
    missing = [fund for fund in funds if fund.pk not in result]
    if missing:
        computed = compute(missing)
        result.update(computed)
        if clean:
            expires_at = min(next_closing or now + KEPT, now + KEPT)
            _store(snapshot, expires_at, {keys[pk]: (pk, ind) for pk, ind in computed.items()})
    return {fund.pk: result[fund.pk] for fund in funds}


def stored(name: str, parts: tuple, *, fund_id: int | None, produce):
    """`produce()` (a page or an export made from the indicators of fund `fund_id`, or of every fund with None), or
    what was stored of it while it still holds: under the same rules as the summaries, so it is always what
    `produce()` would give now. `parts` is everything else it depends on (the language, the year, the as-of day,
    what the user may see, …); the day and the code version are added here. `produce` must read every record it
    shows itself, after it is called (not use one the caller read before): it is stored with the snapshot taken
    just before."""
    if not enabled():
        return produce()
    text = f"{CODE_VERSION}|{name}|{fund_id}|{today().isoformat()}|" + "|".join(map(str, parts))
    key = hashlib.sha256(text.encode()).hexdigest()
    now = timezone.now()
    snapshot, clean, next_closing, found = _fetch([key], None if fund_id is None else [fund_id], now)
    if key in found:
        value = _loaded(found[key])
        if value is not None:
            return value
    value = produce()
    if clean:
        expires_at = min(next_closing or now + KEPT, now + KEPT)
        _store(snapshot, expires_at, {key: (fund_id, value)})
    return value


def _fetch(keys: list[str], fund_ids: list[int] | None, now) -> tuple:
    """(snapshot, clean, next closing, {key: data} of the stored summaries among `keys` that still hold), in one
    query (FETCH_SQL); `fund_ids` None: the next closing of any fund."""
    with connection.cursor() as cursor:
        cursor.execute(FETCH_SQL, {"keys": keys, "funds": fund_ids, "now": now})
        rows = cursor.fetchall()
    snapshot, clean, next_closing = rows[0][:3]
    return snapshot, clean, next_closing, {key: bytes(data) for *_now, key, data in rows if data is not None}


def _loaded(data: bytes):
    try:
        return pickle.loads(data)  # written by _store alone, in Potten's own database
    except Exception:  # a summary of an older release that no longer unpickles: computed again
        logger.warning("An indicator summary could not be read; computing the indicators again", exc_info=True)
        return None


def _store(snapshot: str, expires_at, summaries: dict) -> None:
    """Store each fund's indicators ({key: (fund id, Indicators)}) with the snapshot their computation started from."""
    keys = list(summaries)
    # Stored on its own (no outer transaction): the commit need not wait for the disk, a summary lost in a crash is
    # computed again. Inside an outer transaction, whose other writes are not ours to risk, the commit waits.
    alone = not connection.in_atomic_block
    try:
        with transaction.atomic():  # a savepoint: a failed store leaves the caller's transaction usable
            with connection.cursor() as cursor:
                if alone:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute(STORE_SQL, {
                    "snapshot": snapshot, "expires_at": expires_at, "keys": keys,
                    "funds": [summaries[key][0] for key in keys],
                    "data": [pickle.dumps(summaries[key][1], protocol=pickle.HIGHEST_PROTOCOL) for key in keys]})
    except DatabaseError:
        logger.warning("An indicator summary could not be stored (it is computed again next time)", exc_info=True)


def prune() -> dict[str, int]:
    """Remove the summaries older than KEPT or past their clock, and the change rows older than CHANGES_KEPT whose
    transaction ids are all below those of the change rows kept. The bound of what was removed (the highest
    transaction id removed, plus one) is recorded: a summary whose snapshot reaches below it could need a removed
    row and is no longer served, so a pruned change can never be missed; the younger summaries are not touched.
    The prune's own transaction is recorded too: every row it removes had committed before it, so a snapshot that
    sees the prune committed sees them all, and its summary is served even if it reaches below (a snapshot reaches
    below while any transaction of the cluster older than the rows removed is still running, in any database)."""
    if not enabled():
        return {"summaries": 0, "changes": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SUMMARY} WHERE created_at < now() - %s OR expires_at <= now()", [KEPT])
        summaries = cursor.rowcount
        cursor.execute(f"""
            SELECT MAX(xid)::text FROM {CHANGE}
            WHERE created_at < now() - %(kept)s
              AND xid < COALESCE((SELECT MIN(xid) FROM {CHANGE} WHERE created_at >= now() - %(kept)s),
                                 pg_snapshot_xmax(pg_current_snapshot()))""", {"kept": CHANGES_KEPT})
        (highest,) = cursor.fetchone()
        if highest is None:
            return {"summaries": summaries, "changes": 0}
        cursor.execute(f"UPDATE {PRUNED} SET below = GREATEST(below, (%s::numeric + 1)::text::xid8), "
                       "pruned_by = pg_current_xact_id()", [highest])
        cursor.execute(f"DELETE FROM {CHANGE} WHERE xid <= %s::xid8", [highest])
        changes = cursor.rowcount
    return {"summaries": summaries, "changes": changes}
