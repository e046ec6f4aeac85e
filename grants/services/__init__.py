"""What changes grants' records, one module per concern: applications (drafts, submission, withdrawal, the
case's events), ledger (budgets, commitments, payments, repayments), reports (final reports), organisations
(registration, contacts, invitations, join requests), attachments (storing and removing files), letters
(decision letters as PDF) and checklist (the ex-ante checklist). Steps that take the workflow's process lock
live in `workflows.services`."""
