"""Verify the tamper-evidence hash chain over history rows and documents; exit 1 on the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from archive.services import chain_sequence, chain_verify


class Command(BaseCommand):
    help = "Recompute the audit hash chain (history rows and documents) and report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sequence-first",
            action="store_true",
            help="link the committed rows still waiting for the sequencer before verifying",
        )

    def handle(self, *args, **options):
        if options["sequence_first"]:
            self.stdout.write(f"sequenced first: {chain_sequence()} link(s) appended")
        report = chain_verify()
        if report.first_break is not None:
            b = report.first_break
            self.stdout.write(
                f"BROKEN at link #{b.link_id}: table={b.table} pk={b.row_pk} problem={b.problem}\n"
                f"  expected={b.expected}\n  found=   {b.found}\n"
                f"  links verified before it: {report.links_checked}"
            )
            raise CommandError("audit chain broken")
        for table, count in sorted(report.pending.items()):
            self.stdout.write(f"PENDING: {table}: {count} row(s) committed, waiting for the sequencer")
        if report.pending_oldest is not None:
            self.stdout.write(f"  oldest pending since {report.pending_oldest.isoformat()}")
        for table, count in sorted(report.unchained.items()):
            self.stdout.write(f"UNCHAINED: {table}: {count} row(s) have no link")
        self.stdout.write(f"links verified: {report.links_checked}; head {report.head_hash}")
        if report.unchained:
            raise CommandError("rows without a chain link")
        self.stdout.write(self.style.SUCCESS("audit chain OK"))
