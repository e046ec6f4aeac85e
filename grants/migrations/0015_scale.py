# Indexes for 100,000 applications: every sort and filter of the case list, trigram search (pg_trgm) on
# PostgreSQL, the applicant's list, payments and the ledger in pages. Plain SQL, no model state: the
# indexes are the database's business. SQLite gets the portable ones (and searches without an index).

from django.db import migrations

# Both databases: ordinary (partial) b-tree indexes.
PORTABLE = [
    ("grants_application_org_updated", "grants_application (organisation_id, updated_at, id)"),
    ("grants_application_status_changed", "grants_application (status, status_changed_at, id)"),
    ("grants_payment_status_created", "grants_payment (status, created_at, id)"),
    ("grants_payment_status_paid", "grants_payment (status, paid_on, id)"),
    ("grants_repayment_status_due", "grants_repayment (status, due_on, id)"),
    ("grants_repayment_status_received", "grants_repayment (status, received_on, id)"),
    ("grants_ledger_year_created", "grants_ledgerentry (fund_year_id, created_at, id)"),
]

# The case list's sorts, each in both directions as the list orders them (empty values last both ways:
# PostgreSQL can only walk an index in an order that matches NULLS LAST when the index says so).
SORTS = {"submitted": "submitted_at", "changed": "status_changed_at", "amount": "requested_amount",
         "case": "case_number", "title": "lower(title)"}
POSTGRES = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
for key, column in SORTS.items():
    POSTGRES.append(f"CREATE INDEX IF NOT EXISTS grants_app_sort_{key}_asc ON grants_application ({column} ASC NULLS LAST, id ASC)")
    POSTGRES.append(f"CREATE INDEX IF NOT EXISTS grants_app_sort_{key}_desc ON grants_application ({column} DESC NULLS LAST, id DESC)")
# Search: ~* (case-insensitive regular expression) on title, case number and organisation name.
POSTGRES += [
    "CREATE INDEX IF NOT EXISTS grants_app_title_trgm ON grants_application USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS grants_app_case_trgm ON grants_application USING gin (case_number gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS grants_org_name_trgm ON grants_organisation USING gin (name gin_trgm_ops)",
]
POSTGRES_DROP = [f"DROP INDEX IF EXISTS grants_app_sort_{key}_{way}" for key in SORTS for way in ("asc", "desc")] + [
    "DROP INDEX IF EXISTS grants_app_title_trgm", "DROP INDEX IF EXISTS grants_app_case_trgm",
    "DROP INDEX IF EXISTS grants_org_name_trgm",
]


def forwards(apps, schema_editor):
    for name, target in PORTABLE:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for name, _target in PORTABLE:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0014_personal_data'),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
