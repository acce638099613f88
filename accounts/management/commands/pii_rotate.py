"""Re-encrypt all personal data under the first key of PII_ENCRYPTION_KEYS; exit 1 if a value decrypts under no key.

Bypasses the append-only triggers of history tables for the duration of each batch (see accounts/pii_rotation.py).
"""

import getpass
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.pii_rotation import DEFAULT_BATCH_SIZE, key_fingerprint, pii_rotate

security_log = logging.getLogger("security")
PROBLEMS_LISTED = 50


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted personal-data value (history tables included) under the first key of "
        "PII_ENCRYPTION_KEYS. Idempotent; values already under that key are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per transaction (default %(default)s)"
        )
        parser.add_argument("--dry-run", action="store_true", help="only count what would be re-encrypted")
        parser.add_argument("--database", default="default", help="database alias (default %(default)s)")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        keys = list(settings.PII_ENCRYPTION_KEYS)
        # Keys are never printed: only their position and a short fingerprint.
        self.stdout.write(
            f"encrypting key: #1 of {len(keys)} configured (fingerprint {key_fingerprint(keys[0])}); "
            f"older keys only decrypt: {', '.join(key_fingerprint(k) for k in keys[1:]) or 'none'}"
        )
        if len(keys) == 1:
            self.stdout.write("only one key is configured: values under any other key cannot be read.")

        report = pii_rotate(batch_size=options["batch_size"], dry_run=options["dry_run"], using=options["database"])

        verb = "would rotate" if report.dry_run else "rotated"
        for t in report.tables:
            line = f"{t.table} ({', '.join(t.columns)}): {t.values} value(s), {verb} {t.rotated}, current {t.current}"
            if t.changed_meanwhile:
                line += f", changed meanwhile {t.changed_meanwhile}"
            if t.problems:
                line += f", UNREADABLE {len(t.problems)}"
            if t.bypassed_triggers and t.rotated:
                line += f"; triggers bypassed: {', '.join(t.bypassed_triggers)}"
            self.stdout.write(line)
        problems = report.problems
        for p in problems[:PROBLEMS_LISTED]:
            self.stdout.write(f"UNREADABLE: table={p.table} pk={p.pk} column={p.column} problem={p.reason}")
        if len(problems) > PROBLEMS_LISTED:
            self.stdout.write(f"... and {len(problems) - PROBLEMS_LISTED} more")
        changed_meanwhile = sum(t.changed_meanwhile for t in report.tables)
        if changed_meanwhile:
            self.stdout.write(f"{changed_meanwhile} value(s) changed while rotating: run the command again.")
        self.stdout.write(
            f"total: {report.values} value(s) in {len(report.tables)} table(s), {verb} {report.rotated}, "
            f"unreadable {len(problems)}"
        )

        # Warning level, so the audit line survives LOG_LEVEL=WARNING; counts and fingerprints only.
        security_log.warning(
            "pii rotation%s by os_user=%s: key=%s keys_configured=%d values=%d rotated=%d unreadable=%d",
            " (dry run)" if report.dry_run else "",
            _os_user(),
            report.current_key_fingerprint,
            report.keys_configured,
            report.values,
            report.rotated,
            len(problems),
        )
        if problems:
            raise CommandError(f"{len(problems)} value(s) decrypt under no configured key (listed above)")
        self.stdout.write(self.style.SUCCESS("dry run: nothing changed" if report.dry_run else "pii rotation done"))
