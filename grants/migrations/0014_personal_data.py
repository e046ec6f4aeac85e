# Reserved slot for the parallel work on personal data; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0013_organisation_verification'),
    ]

    operations = []
