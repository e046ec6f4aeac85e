"""The indicators as CSV in Swedish Excel's dialect (on request: `?dialect=excel`): a byte order mark so
Excel reads UTF-8, semicolons between cells, decimal commas, CRLF line ends, and headings and indicator
names in the reader's language instead of the JSON's dotted keys."""

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _

from common.formatting import excel_cell
from grants.indicators.exports import sections


def to_excel_csv(ind) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Fund"), _("Year"), _("Section"), _("Indicator"), _("Value")])
    for title, rows in sections(ind):
        for row in rows:
            value = row.text if isinstance(row.value, bool) or row.value is None else row.value
            if isinstance(value, Decimal) and value == value.to_integral_value():
                value = int(value)  # whole kronor as whole numbers, whatever the database keeps (34000.00)
            writer.writerow([excel_cell(cell) for cell in (ind.fund.name, ind.year, title, row.label, value)])
    return out.getvalue()
