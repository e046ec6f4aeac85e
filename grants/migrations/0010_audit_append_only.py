"""Append-only audit records (reserved)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("grants", "0009_final_report_detail")]

    operations = []
