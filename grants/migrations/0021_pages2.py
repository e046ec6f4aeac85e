# The case list's counts per stage filtered by call or fund: an index-only count on (call, status).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("grants", "0020_pages")]
    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["call", "status"], name="grants_app_call_status"),
        ),
    ]
