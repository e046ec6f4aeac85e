# Organisations that cannot be squatted: verification by a case officer, requests to join an organisation
# that is already registered, and the organisation's own append-only audit trail (refused by the database
# too, like grants_event in 0010).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

POSTGRES_FORWARD = [
    "CREATE TRIGGER grants_organisationevent_append_only BEFORE UPDATE OR DELETE ON grants_organisationevent "
    "FOR EACH ROW EXECUTE FUNCTION potten_append_only();",
]
POSTGRES_BACKWARD = ["DROP TRIGGER IF EXISTS grants_organisationevent_append_only ON grants_organisationevent;"]
SQLITE_FORWARD = [
    "CREATE TRIGGER grants_organisationevent_no_update BEFORE UPDATE ON grants_organisationevent "
    "BEGIN SELECT RAISE(ABORT, 'grants_organisationevent is append-only: UPDATE refused'); END;",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS grants_organisationevent_no_update;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0012_review_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='organisation',
            options={'ordering': ['name'], 'permissions': [('manage_organisations', 'Can verify organisations and change their contacts')], 'verbose_name': 'organisation', 'verbose_name_plural': 'organisations'},
        ),
        migrations.AddField(
            model_name='organisation',
            name='verified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='verified'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='verified_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='verified by'),
        ),
        migrations.CreateModel(
            name='OrganisationEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('registered', 'Registered (unverified)'), ('join_requested', 'Request to join'), ('join_approved', 'Request to join approved'), ('join_declined', 'Request to join declined'), ('verified', 'Verified by a case officer'), ('contact_added', 'Contact added by staff'), ('contact_invited', 'Contact invited by staff'), ('contact_removed', 'Contact removed by staff'), ('invitation_accepted', 'Invitation accepted')], max_length=30, verbose_name='event')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail address')),
                ('message', models.TextField(blank=True, verbose_name='reason')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='time')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='grants.organisation', verbose_name='organisation')),
                ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='person')),
            ],
            options={
                'verbose_name': 'organisation event',
                'verbose_name_plural': 'organisation events',
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='JoinRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name_given', models.CharField(blank=True, max_length=200, verbose_name='name given')),
                ('status', models.CharField(choices=[('pending', 'Waiting for an answer'), ('approved', 'Approved'), ('declined', 'Declined')], default='pending', max_length=10, verbose_name='status')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='sent')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='answered')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='answered by')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='join_requests', to='grants.organisation', verbose_name='organisation')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'request to join',
                'verbose_name_plural': 'requests to join',
                'ordering': ['-created_at', '-pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('organisation', 'user'), name='joinrequest_one_pending')],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
