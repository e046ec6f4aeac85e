# Staff workspace (issue 15): the organisation number's help text gives an example that passes the
# form's own checksum (802456-1238).

import grants.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0017_catalogue'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='org_number',
            field=models.CharField(help_text='Ten digits, for example 802456-1238. You find it on the registration certificate.', max_length=11, unique=True, validators=[grants.validators.validate_org_number], verbose_name='organisation number'),
        ),
    ]
