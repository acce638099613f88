from django.core.management.base import BaseCommand

from accounts.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_TTL_HOURS."

    def handle(self, *args, **options):
        deleted = idempotency_keys_purge()
        self.stdout.write(f"deleted {deleted} expired idempotency key(s)")
