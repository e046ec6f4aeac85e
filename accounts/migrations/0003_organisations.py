# Reserved slot for the parallel work on organisations; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_email_frequency'),
    ]

    operations = []
