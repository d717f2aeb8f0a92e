"""End to end: a real Celery worker and beat catch an overdue clock with no call but the booking.

Each test deploys the system into its own fresh database (a new SQLite file, or a new
PostgreSQL database beside the one ``DATABASE_URL`` names) and its own data directory, starts
``celery worker`` and ``celery beat`` as subprocesses with a one-second sweep interval, books
a case whose subject was apprehended 49 hours ago, and polls the database (deadline 90 s)
until the custody-determination clock shows ``breached`` and its ``sla.breached`` event exists.
On Redis the broker is then restarted empty: the deadline lives in the database, so a
second overdue case is still caught.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 90
REDIS_PORT = 16380

BOOK_SCRIPT = """
import django
django.setup()
from cases.models import Role, Unit, User
from tests.factories import book
station = Unit.objects.get(code="EPT-EPS")
agent, _ = User.objects.get_or_create(
    username="agent_it", defaults={"role": Role.USBP_AGENT, "unit": station}
)
case = book(agent, hours_ago=49)
print(case.pk)
"""

CLOCK_SQL = (
    "SELECT c.status, c.breached_at FROM cases_slaclock c "
    "JOIN cases_slapolicy p ON p.id = c.policy_id "
    "WHERE c.case_id = {p} AND p.name = 'custody_determination'"
)
EVENTS_SQL = (
    "SELECT count(*) FROM cases_eventlogentry WHERE case_id = {p} AND event_type = 'sla.breached'"
)


class Deployment:
    """One isolated installation: data directory, database and broker URL."""

    def __init__(self, data_dir: Path, broker_url: str):
        self.data_dir = data_dir
        self.broker_url = broker_url
        self.procs: dict[str, subprocess.Popen] = {}
        self.pg_url = None
        outer = os.environ.get("DATABASE_URL", "")
        if outer.startswith(("postgres://", "postgresql://")):
            base, _, _name = outer.rpartition("/")
            self.pg_admin_url = f"{base}/postgres"
            self.pg_name = f"cas_it_{uuid.uuid4().hex[:10]}"
            self.pg_url = f"{base}/{self.pg_name}"
            self._pg_admin(f'CREATE DATABASE "{self.pg_name}"')

    def _pg_admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
            conn.execute(sql)

    @property
    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "CAS_TEST_SQLITE_NAME", "CELERY_TASK_ALWAYS_EAGER"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            CAS_DATA_DIR=str(self.data_dir),
            CELERY_BROKER_URL=self.broker_url,
            CAS_SWEEP_INTERVAL_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        if self.pg_url:
            env["DATABASE_URL"] = self.pg_url
        return env

    def manage(self, *args: str) -> str:
        return self.python([str(BASE_DIR / "manage.py"), *args])

    def python(self, args: list[str]) -> str:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def start(self, name: str, *celery_args: str) -> None:
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *celery_args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_worker_and_beat(self) -> None:
        self.start(
            "worker",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        )
        self.start(
            "beat",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(self.data_dir / "celerybeat-schedule"),
        )

    def logs(self) -> str:
        out = []
        for name in self.procs:
            path = self.data_dir / f"{name}.log"
            if path.exists():
                out.append(f"--- {name}\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(out)

    def book_overdue_case(self) -> int:
        return int(self.python(["-c", BOOK_SCRIPT]).strip().splitlines()[-1])

    def query(self, sql: str, case_id: int):
        if self.pg_url:
            import psycopg

            with psycopg.connect(self.pg_url) as conn:
                return conn.execute(sql.format(p="%s"), (case_id,)).fetchone()
        conn = sqlite3.connect(self.data_dir / "cas.sqlite3", timeout=10)
        try:
            return conn.execute(sql.format(p="?"), (case_id,)).fetchone()
        finally:
            conn.close()

    def wait_for_breach(self, case_id: int) -> float:
        """Poll the database until the clock is breached and its event exists; seconds taken."""
        started = time.monotonic()
        while time.monotonic() - started < DEADLINE_SECONDS:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"{name} exited\n{self.logs()}"
            status, breached_at = self.query(CLOCK_SQL, case_id)
            (events,) = self.query(EVENTS_SQL, case_id)
            if status == "breached" and breached_at is not None and events:
                assert events == 1
                return time.monotonic() - started
            time.sleep(0.5)
        pytest.fail(f"case {case_id} not breached within {DEADLINE_SECONDS}s\n{self.logs()}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.pg_url:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@pytest.fixture
def deploy(tmp_path):
    made: list[Deployment] = []

    def make(broker_url: str) -> Deployment:
        deployment = Deployment(tmp_path / "data", broker_url)
        made.append(deployment)
        deployment.manage("migrate", "--noinput", "-v", "0")
        deployment.manage("load_reference")
        return deployment

    yield make
    for deployment in made:
        deployment.stop()


@pytest.mark.slow
def test_worker_and_beat_catch_an_overdue_case_on_the_filesystem_broker(deploy):
    deployment = deploy("filesystem://")
    deployment.start_worker_and_beat()
    first = deployment.book_overdue_case()
    deployment.wait_for_breach(first)

    # Lose every queued message: the next sweep still finds the next overdue clock.
    broker = deployment.data_dir / "broker"
    for folder in ("in", "processed"):
        shutil.rmtree(broker / folder, ignore_errors=True)
        (broker / folder).mkdir(parents=True)
    second = deployment.book_overdue_case()
    deployment.wait_for_breach(second)


class PrivateRedis:
    """A throw-away redis-server on our own port, never the shared one."""

    def __init__(self, port: int, data_dir: Path):
        self.port = port
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    server = PrivateRedis(REDIS_PORT, tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.services
def test_worker_and_beat_on_redis_survive_a_broker_restarted_empty(deploy, private_redis):
    deployment = deploy(f"redis://127.0.0.1:{REDIS_PORT}/0")
    deployment.start_worker_and_beat()
    first = deployment.book_overdue_case()
    deployment.wait_for_breach(first)

    # No persistence (--save '' --appendonly no): the new server starts with no messages,
    # no bindings and no unacknowledged tasks; the worker and beat reconnect on their own.
    private_redis.stop()
    private_redis.start()
    second = deployment.book_overdue_case()
    deployment.wait_for_breach(second)
