# MFA and login limits (issue 10): the database cache table that holds the login rate-limit counters
# while Redis is down (config/cache.py), or always when Potten runs without Redis. allauth.mfa brings
# its own migrations for the authenticators.

from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "potten_cache"  # config.cache.CACHE_TABLE


def create_cache_table(apps, schema_editor):
    # The same table `manage.py createcachetable` makes; idempotent (skipped when it exists).
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_personal_data'),
    ]

    operations = [
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
