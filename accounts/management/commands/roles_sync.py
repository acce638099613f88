from django.core.management.base import BaseCommand, CommandError

from accounts.roles import roles_sync


class Command(BaseCommand):
    help = "Create the role groups and set their permissions from accounts/roles.py."

    def handle(self, *args, **options):
        missing = roles_sync()
        if missing:
            raise CommandError(f"permissions not found: {', '.join(missing)}")
        self.stdout.write("roles in step")
