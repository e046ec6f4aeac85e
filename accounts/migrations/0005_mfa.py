# Reserved slot for the parallel work on MFA; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_personal_data'),
    ]

    operations = []
