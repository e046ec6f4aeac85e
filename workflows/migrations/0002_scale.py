# The open tasks (a few thousand among hundreds of thousands): the inboxes, the case list's "who holds it"
# and the reminder sweep read them through these partial indexes on viewflow's task table.

from django.db import migrations

INDEXES = [
    ("workflows_task_open_created", "viewflow_task (created, id) WHERE status IN ('NEW', 'ASSIGNED')"),
    ("workflows_task_open_owner", "viewflow_task (owner_id, created) WHERE status IN ('NEW', 'ASSIGNED')"),
    ("workflows_task_open_process", "viewflow_task (process_id) WHERE status IN ('NEW', 'ASSIGNED')"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {target}", f"DROP INDEX IF EXISTS {name}")
        for name, target in INDEXES
    ]
