# The budgets page sums each fund year's ledger per kind from one covering index (PostgreSQL includes the
# amount in it; elsewhere it is a plain index on fund year and kind).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("grants", "0019_indicators")]
    operations = [
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["fund_year", "kind"], include=["amount"], name="grants_ledger_fy_kind"),
        ),
    ]
