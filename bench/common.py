"""What every benchmark shares: choosing and (re)creating its PostgreSQL database, starting
Django, and describing the machine the figures were measured on.

The benchmarks run against a database of their own, named by ``DATABASE_URL`` or by the
script's default (``cas_bench...``); only a database whose name contains ``bench`` is ever
dropped and recreated.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
BROKER_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def database_url(default_name: str) -> str:
    """``DATABASE_URL`` when it names a PostgreSQL database, else ``default_name`` on the
    local server (``BENCH_PG_SERVER`` overrides the server)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    server = os.environ.get("BENCH_PG_SERVER", DEFAULT_SERVER).rstrip("/") + "/"
    return server + default_name


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    """Drop and create the (bench-only) database named by ``url``."""
    import psycopg

    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: only a *bench* database is recreated")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, settings_module: str = "config.settings") -> None:
    """Point Django at ``url`` and start it (the environment is what every process reads)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("CAS_DATA_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # As in production: Redis carries the after-commit wake-ups (db 7 is the benchmarks').
    os.environ.setdefault("CELERY_BROKER_URL", BROKER_URL)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def purge_broker() -> int:
    """Drop the wake-ups a benchmark queued with no worker running."""
    from config.celery import app

    return app.control.purge() or 0


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=verbosity, interactive=False)


def raw_connect(url: str, **kwargs):
    import psycopg

    return psycopg.connect(url, **kwargs)


@contextmanager
def timed(label: str, results: dict[str, float] | None = None):
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if results is not None:
        results[label] = seconds
    print(f"  {label}: {seconds:.1f} s", flush=True)


def machine() -> dict[str, str]:
    """CPU, memory, PostgreSQL and Python versions, for the report."""

    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    cpu = ""
    cores = str(os.cpu_count())
    for line in run(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    mem = ""
    for line in (
        Path("/proc/meminfo").read_text().splitlines() if Path("/proc/meminfo").exists() else []
    ):
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": cores,
        "memory": mem,
        "python": platform.python_version(),
        "load": load,
    }


def print_machine(url: str | None = None) -> None:
    info = machine()
    pg = ""
    if url:
        try:
            with raw_connect(url) as conn:
                pg = conn.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:  # the report still prints without it
            pg = f"unknown ({exc.__class__.__name__})"
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM; "
        f"PostgreSQL {pg}; Python {info['python']}; load average {info['load']}",
        flush=True,
    )
