"""Who holds each application's open human step (grants.Application.step_holder), kept by PostgreSQL's triggers
(migration workflows 0005) in the same transaction as viewflow's tasks change.

`step_holders_rebuild` computes it again for every application, for bulk writes that fire no trigger (the load
generator's session_replication_role = replica). Nothing to do on SQLite, which keeps no holder (the case list
asks the tasks there).
"""

from django.db import connection, transaction


@transaction.atomic
def step_holders_rebuild() -> None:
    """Every application's holder again from the tasks, with the tasks and the processes locked against writes
    (SHARE: readers go on) while they are read."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE viewflow_task, workflows_applicationprocess IN SHARE MODE")
        cursor.execute("SELECT workflows_step_holders_all()")
