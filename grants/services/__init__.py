"""What changes grants' records, one module per concern: applications (drafts, what a submission needs, case
numbers, the case's events and the one status change), ledger (budgets, commitments, payments, repayments),
reports (final reports), organisations (registration, join requests, verification), memberships (invitations,
staff changes of contacts), contacts (the one way to mail an application's contacts), attachments (storing
and removing files), letters (decision letters as PDF) and checklist (the ex-ante checklist). Steps that take
the workflow's process lock (submitting, withdrawing, deciding, correcting, ending a grant) live in
`workflows.services`; nothing here imports reviewers or workflows (docs/architecture.md)."""
