"""List documents whose retention period has passed. It deletes nothing: removal is a separate, reviewed act."""

import datetime

from django.core.management.base import BaseCommand

from archive.selectors import documents_past_retention


class Command(BaseCommand):
    help = "List client-file documents past their retention end (not on legal hold). Deletes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="Report as of this day (YYYY-MM-DD).")

    def handle(self, *args, date=None, **options):
        documents = documents_past_retention(today=date)
        count = 0
        for document in documents.iterator():
            count += 1
            self.stdout.write(
                "\t".join(
                    [
                        str(document.pk),
                        document.client.client_no,
                        document.kind,
                        document.retention_until.isoformat(),
                        document.sha256,
                        document.original_filename,
                    ]
                )
            )
        self.stdout.write(f"{count} document(s) past retention; nothing was deleted.")
