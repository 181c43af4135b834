"""manage.py serve: the web server (gunicorn) and the task worker together, until Ctrl-C.

One command for a single-office install; a process that dies is started again (``supervise``).
Larger deployments run gunicorn and any number of ``worker`` processes separately
(docs/deploy.md).
"""

from __future__ import annotations

import os
import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kesher.operations.supervise import Child, Supervisor


class Command(BaseCommand):
    help = "Run the web server and the task worker together."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument(
            "--practice",
            action="store_true",
            help="serve the practice environment (its own database, no email sent; port 8001)",
        )

    def handle(self, *args, bind, workers, practice=False, **options):
        if practice and not settings.KESHER_PRACTICE:
            # The practice settings are chosen when settings load (decision 0029): start again
            # with them, so this process never opens the live database.
            bind = "127.0.0.1:8001" if bind == "127.0.0.1:8000" else bind
            manage = str(settings.BASE_DIR / "manage.py")
            argv = [sys.executable, manage, "serve", "--practice", "--bind", bind]
            os.execve(  # noqa: S606  (this interpreter and manage.py, no shell)
                sys.executable,
                [*argv, "--workers", str(workers)],
                {**os.environ, "KESHER_PRACTICE": "1"},
            )
        if settings.KESHER_PRACTICE:
            from kesher.practice.services import practice_database_exists

            if not practice_database_exists():
                raise CommandError(
                    "There is no practice environment: an administrator creates it first "
                    "(Organization → Practice environment)."
                )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kesher.settings"}
        python = sys.executable
        web = [
            python,
            "-m",
            "gunicorn",
            "kesher.wsgi",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ]
        worker = [python, str(settings.BASE_DIR / "manage.py"), "worker", "--interval", "1"]
        # The screen pops' event stream (decision 0080): an ASGI process of its own on the next
        # port but ten, where a waiting browser costs a coroutine, not a web worker's thread.
        host, _colon, port = bind.rpartition(":")
        stream_port = os.environ.get("KESHER_TELEPHONY_STREAM_PORT") or str(int(port) + 10)
        env["KESHER_TELEPHONY_STREAM_PORT"] = stream_port
        stream = [
            python,
            "-m",
            "gunicorn",
            "kesher.telephony.asgi",
            "--worker-class",
            "asgi",
            "--workers",
            "1",
            "--bind",
            f"{host}:{stream_port}",
            "--graceful-timeout",
            "2",
        ]
        supervisor = Supervisor(
            [
                Child("web server", web, env),
                Child("worker", worker, env),
                Child("event stream", stream, env),
            ]
        )
        self.stdout.write(self.style.SUCCESS(f"Kesher is running on http://{bind}/ (Ctrl-C stops)"))

        def stop(*_args):
            supervisor.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            supervisor.run()
        finally:
            supervisor.stop()
        if supervisor.failed:
            raise CommandError(supervisor.failed)
