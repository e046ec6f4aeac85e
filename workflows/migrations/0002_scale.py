# Reserved slot for the parallel work on scale; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0001_initial'),
    ]

    operations = []
