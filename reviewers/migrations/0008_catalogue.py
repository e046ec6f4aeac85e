# Reserved slot for the parallel work on catalogue; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reviewers', '0007_scale'),
    ]

    operations = []
