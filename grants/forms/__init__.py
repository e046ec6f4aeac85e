"""grants' forms: applications, money, organisations and final reports."""
