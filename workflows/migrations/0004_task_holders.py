# The people who hold a staff step now (the case list's assignee choices, workflows.overview.filter_choices): the
# distinct owners of the taken staff tasks, read from this index alone (the taken staff tasks only, their owners
# only) rather than from the index of every open human task.

from django.db import migrations

NAME = "workflows_task_staff_held"
TARGET = ("viewflow_task (owner_id) "
          "WHERE flow_task_type = 'HUMAN' AND status = 'ASSIGNED' AND owner_permission <> ''")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_pages")]
    operations = [migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {NAME} ON {TARGET}",
                                    f"DROP INDEX IF EXISTS {NAME}")]
