from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError
from accounts.roles import Role
from accounts.services import api_client_create


class Command(BaseCommand):
    help = "Create an internal API client (a user with one role and a token) and print its token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", default=Role.API_CLIENT.value, choices=[r.value for r in Role])

    def handle(self, *args, username: str, role: str, **options):
        try:
            _user, token = api_client_create(username=username, role=role)
        except ApplicationError as exc:
            raise CommandError(exc.message_in("en")) from exc
        self.stdout.write(token)
