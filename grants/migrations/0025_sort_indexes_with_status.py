"""The case list's sort indexes (grants 0015) carry the status too (INCLUDE), on PostgreSQL.

Every page of the list excludes drafts, and a stage filter keeps some stages: with the status in the index,
PostgreSQL walks a sort's index to a deep page (page 50: 2,500 entries) or through a stage's rows from the index
alone, instead of reading each entry's table row for its status.
"""

from django.db import migrations

SORTS = {"submitted": "submitted_at", "changed": "status_changed_at", "amount": "requested_amount",
         "case": "case_number", "title": "lower(title)"}
WAYS = {"asc": "ASC NULLS LAST, id ASC", "desc": "DESC NULLS LAST, id DESC"}


def _indexes(include: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for key, column in SORTS.items():
            for way, order in WAYS.items():
                name = f"grants_app_sort_{key}_{way}"
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
                schema_editor.execute(f"CREATE INDEX {name} ON grants_application ({column} {order}){include}")
    return run


class Migration(migrations.Migration):
    dependencies = [("grants", "0024_stage_counts")]

    operations = [migrations.RunPython(_indexes(" INCLUDE (status)"), _indexes(""), elidable=False)]
