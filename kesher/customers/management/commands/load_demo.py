"""``manage.py load_demo``: a demo organization and its customers, for trying Kesher.

``./bin/kesher start`` runs ``load_demo --once`` at every start: the first run loads the demo
into the empty database, later runs only print how to sign in.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from kesher.demo.loader import (
    DEFAULT_SEED,
    DEFAULT_SIZE,
    database_has_records,
    demo_loaded,
    load_demo,
)
from kesher.demo.organization import DEMO_ADMIN, DEMO_PASSWORD, USERS
from kesher.demo.portal import sign_in_lines
from kesher.org.models import Role


class Command(BaseCommand):
    help = (
        "Load demo data: a company with departments and users in every role, Hebrew and "
        "English customers, contacts and relationships, and each user's working week (calls, "
        "tasks, meetings, notifications, approvals). Refuses a database that has data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--size",
            type=int,
            default=DEFAULT_SIZE,
            help=(
                "Number of accounts; contacts are about 7/3 and relationships 1/2 of it "
                f"(default {DEFAULT_SIZE})."
            ),
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do nothing but print the sign-in details when the database is not empty.",
        )

    def handle(self, *args, seed: int, size: int, once: bool, **options):
        if size < 1:
            raise CommandError("--size must be at least 1.")
        if demo_loaded():
            if not once:
                raise CommandError("The demo data is already loaded (user 'admin' exists).")
            self.stdout.write("The demo data is already loaded.")
            self.print_sign_in(already_loaded=True)
            return
        if database_has_records():
            # Never mix made-up customers into a database people already work in.
            if not once:
                raise CommandError("The database already has users or accounts; demo not loaded.")
            self.stdout.write("The database already has users or accounts; demo data not loaded.")
            return
        summary = load_demo(seed=seed, size=size)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded in {summary.seconds:.1f} s: {summary.accounts} accounts, "
                f"{summary.contacts} contacts, {summary.relationships} relationships, "
                f"{summary.users} users (seed {seed})."
            )
        )
        self.print_sign_in()

    def print_sign_in(self, *, already_loaded: bool = False) -> None:
        bind = os.environ.get("KESHER_BIND", "127.0.0.1:8000")
        host, _sep, port = bind.rpartition(":")
        if host in ("", "0.0.0.0", "[::]"):  # noqa: S104 - only read, to print a local URL
            host = "127.0.0.1"
        role_names = {
            key: role.name_en for key, role in Role.objects.in_bulk(field_name="key").items()
        }
        write = self.stdout.write
        write("")
        write(f"  Open      http://{host}:{port}/")
        write(f"  Username  {DEMO_ADMIN}")
        since = "  (unless changed since)" if already_loaded else ""
        write(f"  Password  {DEMO_PASSWORD}{since}")
        write("")
        write("Other demo users, all with the same password:")
        for user in USERS:
            if user.username == DEMO_ADMIN:
                continue
            role = role_names.get(user.role, user.role)
            note = "  (inactive: cannot sign in)" if not user.is_active else ""
            language = "  [English UI]" if user.language == "en" else ""
            write(f"  {user.username:<8} {role:<22} {user.full_name}{language}{note}")
        write("")
        portal = sign_in_lines(f"http://{host}:{port}")
        for line in portal:
            write(line)
        if portal:
            write("")
        write(
            self.style.WARNING(
                "The demo password is public: change it before anyone else can reach this server."
            )
        )
