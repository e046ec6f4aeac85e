"""The final report in detail (reserved)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("grants", "0008_repayments")]

    operations = []
