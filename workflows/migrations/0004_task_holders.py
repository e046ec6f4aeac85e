# The people who hold a staff step now (the case list's assignee choices): the distinct owners of the taken
# staff tasks, a dozen among thousands of tasks. From this index they are found one by one (a skip scan,
# workflows.overview.filter_choices), each the next owner after the previous, without reading every task.

from django.db import migrations

NAME = "workflows_task_staff_held"
TARGET = ("viewflow_task (owner_id) "
          "WHERE flow_task_type = 'HUMAN' AND status = 'ASSIGNED' AND owner_permission <> ''")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_pages")]
    operations = [migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {NAME} ON {TARGET}",
                                    f"DROP INDEX IF EXISTS {NAME}")]
