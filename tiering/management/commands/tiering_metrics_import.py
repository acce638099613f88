import csv

from django.core.management.base import BaseCommand, CommandError

from tiering.services import metrics_import

COLUMNS = ["client_no", "as_of", "total_assets", "contribution_12m", "trades_12m", "tenure_months"]


class Command(BaseCommand):
    help = (
        "Import daily client metrics from a CSV file with the header "
        + ",".join(COLUMNS)
        + ". Bad rows are reported with their line number and the rest loads; with --strict nothing loads."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--strict", action="store_true", help="any bad row: load nothing")

    def handle(self, *args, **opts):
        with open(opts["file"], newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"missing columns: {', '.join(missing)}")
            # line numbers of the file: the header is line 1, so the first row is line 2
            result = metrics_import(actor=None, rows=reader, strict=opts["strict"], first_line=2)
        for line, reason in result.errors:
            self.stderr.write(f"line {line}: {reason}")
        if opts["strict"] and result.errors:
            raise CommandError(f"{len(result.errors)} bad rows; nothing loaded (--strict)")
        self.stdout.write(self.style.SUCCESS(f"loaded {result.loaded} rows, {len(result.errors)} bad rows"))
