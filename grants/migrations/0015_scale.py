# Reserved slot for the parallel work on scale; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0014_personal_data'),
    ]

    operations = []
