"""The counts of applications per call and status that PostgreSQL keeps (grants.models.StageCount, grants 0024).

The triggers add a row for every change; `stage_counts_compact` (Celery beat) folds them into one row per
(call, status) so that a read sums a few rows per call. `stage_counts_rebuild` counts them again from the
applications, for bulk writes that fire no trigger (the load generator's session_replication_role = replica).
Both do nothing on SQLite, which keeps no counts.
"""

from django.db import connection, transaction

# pg_advisory_xact_lock key: one compaction or rebuild at a time (two deleting the same rows in different
# orders could deadlock each other; writers never take it).
STAGE_COUNTS_LOCK = 230_0023


@transaction.atomic
def stage_counts_compact() -> int:
    """Fold the rows into one per (call, status), dropping keys whose sum is 0; the number of rows left.
    Exact under concurrent writes: the DELETE takes the rows its snapshot sees, each row once (RETURNING), and
    writes their sum in the same statement; rows that writers add meanwhile are not seen, so they stay. A
    reader sees the rows before or after the commit, the same sums either way."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STAGE_COUNTS_LOCK])
        cursor.execute(
            "WITH folded AS (DELETE FROM grants_stagecount RETURNING call_id, status, n) "
            "INSERT INTO grants_stagecount (call_id, status, n) "
            "SELECT call_id, status, SUM(n) FROM folded GROUP BY call_id, status HAVING SUM(n) <> 0")
        cursor.execute("SELECT COUNT(*) FROM grants_stagecount")
        return cursor.fetchone()[0]


@transaction.atomic
def stage_counts_rebuild() -> None:
    """The counts again from the applications, with the applications locked against writes (SHARE: readers go
    on) while they are counted."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STAGE_COUNTS_LOCK])
        cursor.execute("LOCK TABLE grants_application IN SHARE MODE")
        cursor.execute("DELETE FROM grants_stagecount")
        cursor.execute("INSERT INTO grants_stagecount (call_id, status, n) "
                       "SELECT call_id, status, COUNT(*) FROM grants_application GROUP BY call_id, status")
