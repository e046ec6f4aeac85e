# The reviewer's list in pages: one reviewer's assignments by status and deadline.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reviewers', '0006_default_rubric_anchors'),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reviewers_assignment_reviewer_status_deadline "
            "ON reviewers_assignment (reviewer_id, status, deadline, id)",
            "DROP INDEX IF EXISTS reviewers_assignment_reviewer_status_deadline"),
    ]
