# Reserved slot for the parallel work on indicators; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0015_scale'),
    ]

    operations = []
