"""Personal data (GDPR, docs/privacy.md): what Potten holds about a person (export, art. 15), erasure on
request (art. 17), the retention period of closed cases, and the search for a person's markers.

The audit trail is append-only down to the database (grants/migrations/0010): events, ledger entries, budget
changes and decisions are never changed. They name people only by reference (Event.actor, Event.subject and
the other foreign keys to the user), so erasing a person means pseudonymising their user row: the events stay,
their actor becomes the pseudonym.

Erasure replaces the person's markers (e-mail address, name and whatever further identifiers the staff give,
such as a phone number) in every text column of every table, except in
- the user table (the person's own row is pseudonymised as a whole, other people's rows are theirs),
- the append-only audit tables (which hold references, not copies, of people),
- the legal record of a decided case (an application with a decision or rejected as ineligible, and every
  row that belongs to it: its texts, checks, reviews, final reports), kept until the fund's retention period
  ends. A mail and a final-report draft are never part of that record.
The retention task (grants.tasks.privacy_retention) does the same for the people of one closed case once the
fund's retention period has passed, inside that case's rows only, and removes the case's attachments.

By concern: markers (finding and replacing a person's identifiers), access (who may manage whose data),
export, erasure, retention. `from workflows import privacy` and `privacy.<name>` reach their public names.
"""

from workflows.privacy.access import may_manage_personal_data, people_for_staff, person_get_for_staff
from workflows.privacy.erasure import person_erase
from workflows.privacy.export import person_account, person_export, person_sections, section_labels
from workflows.privacy.markers import (
    CASE_PSEUDONYM, CASE_PSEUDONYM_EMAIL, MARKER_MIN_LENGTH, application_path, decided_applications,
    marker_condition, marker_hits, markers_replace, outside_legal_record, scrub, scrubbed_models, text_columns,
)
from workflows.privacy.retention import application_personal_data_remove, applications_past_retention, retention_run

__all__ = [
    "CASE_PSEUDONYM", "CASE_PSEUDONYM_EMAIL", "MARKER_MIN_LENGTH", "application_path", "application_personal_data_remove",
    "applications_past_retention", "decided_applications", "marker_condition", "marker_hits",
    "markers_replace", "may_manage_personal_data", "outside_legal_record", "people_for_staff", "person_account", "person_erase",
    "person_export", "person_get_for_staff", "person_sections", "retention_run", "scrub", "scrubbed_models",
    "section_labels", "text_columns",
]
