# The indicators at 100,000 applications: the status changes per application (now with their statuses), by kind
# and time, and every application by call and stage: indexes the indicator queries read without the tables
# (grants/indicators/counts.py, medians.py).
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("grants", "0018_workspace")]
    operations = [
        # The per-application index of the status changes carries the statuses too (index-only reads).
        migrations.RemoveIndex(model_name="event", name="event_status_changes"),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(condition=~Q(to_status=""),
                               fields=["application", "created_at", "id", "to_status", "from_status"],
                               name="event_status_changes"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(condition=~Q(to_status=""), fields=["to_status", "created_at", "application", "from_status"],
                               name="event_status_change_kinds"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["call", "status", "submitted_at", "report_due_on", "requested_amount", "id"],
                               name="application_indicator_counts"),
        ),
    ]
