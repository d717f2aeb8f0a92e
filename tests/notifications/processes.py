"""A private redis-server and a real Celery worker (with embedded beat) as subprocesses,
for the outage drill. Ports come from 16390-16399; the shared Redis is never touched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.ports import free_port as ports_free_port

REDIS_PORTS = range(16390, 16400)


def free_port(ports=REDIS_PORTS) -> int:
    return ports_free_port(ports, "a private redis-server")


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class PrivateRedis:
    def __init__(self, port: int, log: Path):
        self.port = port
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        if not wait_until(self._ping, 15):
            raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.process = None


def start_worker(broker_url: str, data_dir: Path, **env_extra: str) -> subprocess.Popen:
    """A Celery worker with embedded beat on the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker_url,
        "CAS_DATA_DIR": str(data_dir),
        "CAS_NOTIFY_CATCH_UP_SECONDS": "2",
        "CAS_NOTIFY_ON_COMMIT": "off",
        "LOG_LEVEL": "WARNING",
        **env_extra,
    }
    log = (data_dir / "worker.log").open("ab")
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--pool=solo"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"),
            *("-s", str(data_dir / "beat-schedule")),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
