# Reserved slot for the parallel work on scale; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0006_personal_data'),
    ]

    operations = []
