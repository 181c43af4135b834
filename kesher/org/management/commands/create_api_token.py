"""manage.py create_api_token USERNAME [--name NAME]: print a new personal API key."""

from django.core.management.base import BaseCommand, CommandError

from kesher.org.models import User
from kesher.org.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        _token, key = api_token_create(user=user, name=name)
        self.stdout.write(key)
