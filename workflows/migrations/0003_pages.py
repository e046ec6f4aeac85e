# The staff steps among the open tasks (viewflow's task table, hundreds of thousands of rows):
# - the inboxes count and page "waiting to be taken" and "taken by colleagues" by status and permission,
#   oldest first, from workflows_task_staff_open alone (index-only: the owner is included);
# - the case list's "who holds it" (the people holding a step) and its filter "assignee = X" read the open
#   human tasks of one holder, with their process, from workflows_task_human_open_owner.

from django.db import migrations

INDEXES = [
    ("workflows_task_staff_open",
     "viewflow_task (status, owner_permission, created, id) INCLUDE (owner_id) "
     "WHERE flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED')",
     "viewflow_task (status, owner_permission, created, id, owner_id) "
     "WHERE flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED')"),
    ("workflows_task_human_open_owner",
     "viewflow_task (owner_id, process_id) WHERE flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED')",
     None),
]


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, target, plain in INDEXES:
        # INCLUDE is PostgreSQL's; elsewhere (SQLite) the included column is a last key column instead.
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target if postgres or plain is None else plain}")


def drop(apps, schema_editor):
    for name, _target, _plain in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_scale")]
    operations = [migrations.RunPython(create, drop)]
