# The indicators at 100,000 applications: the status changes by kind and time, and every application by call
# and stage, each an index the indicator queries read without the table (grants/indicators/counts.py).
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("grants", "0018_workspace")]
    operations = [
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
