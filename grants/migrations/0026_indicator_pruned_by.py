"""The indicator summaries' prune records its own transaction (PostgreSQL): a summary whose snapshot already sees
that prune committed sees every change row it removed, so it is served even when a transaction older than the
rows removed was still running as it was computed (grants.indicators.summaries)."""

from django.db import migrations

PRUNED = "grants_indicator_pruned"


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {PRUNED} ADD COLUMN pruned_by xid8")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {PRUNED} DROP COLUMN IF EXISTS pruned_by")


class Migration(migrations.Migration):
    dependencies = [("grants", "0025_sort_indexes_with_status")]

    operations = [migrations.RunPython(add, remove, elidable=False)]
