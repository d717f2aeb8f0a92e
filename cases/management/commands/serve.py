"""Start the whole system on one machine: web, Celery worker and beat.

This is the embedded default's single command: it migrates, loads reference data (and the
demo users when ``--demo-password`` is given), collects static files, then runs gunicorn and
one Celery worker with an embedded beat until interrupted. In production run the pieces
separately (many gunicorn and worker processes, exactly one beat).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, seed and run web + Celery worker + beat in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CAS_BIND", "127.0.0.1:8000"))
        parser.add_argument("--demo-password", default=os.environ.get("CAS_DEMO_PASSWORD"))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args, bind, demo_password, web_workers, no_worker, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if demo_password:
            call_command("seed_demo", password=demo_password)
        else:
            call_command("load_reference")
            call_command("load_extras")
        call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        commands = [
            [
                python,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                bind,
                "--workers",
                str(web_workers),
                "--access-logfile",
                "-",
            ],
        ]
        if not no_worker:
            commands.append(
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--beat",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                    "--schedule",
                    settings.CELERY_BEAT_SCHEDULE_FILENAME,
                ]
            )
        # Fixed argument lists built above from our own interpreter path; no shell.
        procs = [subprocess.Popen(cmd, cwd=settings.BASE_DIR) for cmd in commands]  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(
                f"Case acceptance is running on http://{bind}/ (web, worker and beat). "
                "Ctrl-C stops everything."
            )
        )
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.args[2] for p in procs if p.returncode not in (0, -15, None)]
        if failed and not stopping:
            raise SystemExit(f"stopped because a process exited: {failed}")
