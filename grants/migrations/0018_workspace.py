# Reserved slot for the parallel work on staff workspace; filled in by that branch.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0017_catalogue'),
    ]

    operations = []
