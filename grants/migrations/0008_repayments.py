"""Money owed back when a paid advance exceeds what was spent (reserved)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("grants", "0007_event_kinds_review")]

    operations = []
