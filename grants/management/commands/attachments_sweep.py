"""Delete stored attachment objects that no row refers to (left by a rolled-back transaction)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from grants.services.attachments import attachment_orphans_delete


class Command(BaseCommand):
    help = "Delete stored attachment objects under attachments/ that no Attachment row refers to."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=float, default=1.0,
                            help="Only objects older than this (default 1 hour), so uploads in flight are kept.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted.")

    def handle(self, *args, older_than_hours, dry_run, **options):
        names = attachment_orphans_delete(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
        for name in names:
            self.stdout.write(("would delete " if dry_run else "deleted ") + name)
        self.stdout.write(f"{len(names)} orphaned object(s){' found' if dry_run else ' deleted'}.")
