# Reserved slot for the parallel work on catalogue; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0016_indicators'),
    ]

    operations = []
