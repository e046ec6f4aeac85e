# Personal data (GDPR): the erased mark on a user and the record of each erasure (workflows/privacy.py).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_organisations'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='erased_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='personal data erased'),
        ),
        migrations.CreateModel(
            name='PersonalDataErasure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='reason')),
                ('changes', models.JSONField(blank=True, default=dict, verbose_name='changes')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                ('erased_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='erased by')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='erasures', to=settings.AUTH_USER_MODEL, verbose_name='person')),
            ],
            options={
                'verbose_name': 'erasure of personal data',
                'verbose_name_plural': 'erasures of personal data',
                'ordering': ['created_at', 'pk'],
            },
        ),
    ]
