"""grants' pages: applicant (start page, calls, the applicant's applications), money (budgets, payments,
repayments), attachments (upload and download), organisations, indicators (the steering group's dashboard
and exports)."""
