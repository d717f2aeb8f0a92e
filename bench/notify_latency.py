"""Commit-to-inbox latency: a transition commits, a live Celery worker on Redis fans it out.

    python -m bench.notify_latency                 # 300 submissions, one at a time
    python -m bench.notify_latency --n 50          # the smoke

Creates its own database (``cas_notify_bench``, or ``DATABASE_URL``'s if it names a *bench*
database), starts a private redis-server on port 16391 and one ``celery worker`` (solo pool,
no beat, so only the after-commit wake-up path is measured), then submits N booked cases one
after another through ``cases.services.submit_case``. For each, the clock starts when the
service returns (the transaction has committed and the wake-up is flagged) and stops when
the ERO queue's inbox row for that event is visible in the database (polled every 2 ms).
Prints p50, p95, p99 and max.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, database_url, print_machine, recreate_database

REDIS_PORT = 16391


def start_redis(port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"redis-server did not start on {port}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--port", type=int, default=REDIS_PORT)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per delivery")
    args = parser.parse_args()

    url = database_url("cas_notify_bench")
    recreate_database(url)
    data_dir = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    broker = f"redis://127.0.0.1:{args.port}/0"
    os.environ.update(
        {
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker,
            "CAS_DATA_DIR": str(data_dir),
            "CAS_NOTIFY_ON_COMMIT": "task",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from cases import services
    from cases.models import EventLogEntry, Role, Unit
    from cases.reference import load_reference
    from notifications import reference
    from notifications.models import Channel, Delivery
    from tests import factories

    call_command("migrate", verbosity=0, interactive=False)
    load_reference()
    reference.load()
    agent = factories.UserFactory(role=Role.USBP_AGENT, unit=Unit.objects.get(code="EPT-EPS"))
    print_machine(url)
    redis = start_redis(args.port, data_dir / "redis.log")
    print(f"booking {args.n} cases ...", flush=True)
    cases = [factories.book(agent) for _ in range(args.n + 5)]

    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=(data_dir / "worker.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    latencies: list[float] = []
    try:

        def submit_and_wait(case) -> float:
            services.submit_case(case=case, actor=agent, acknowledge_warnings=True)
            started = time.perf_counter()
            event = EventLogEntry.objects.filter(case=case, event_type="case.submitted").latest(
                "id"
            )
            inbox = Delivery.objects.filter(event=event, channel=Channel.INBOX)
            while not inbox.exists():
                if time.perf_counter() - started > args.timeout:
                    raise SystemExit(f"no delivery for event {event.pk} after {args.timeout} s")
                time.sleep(0.002)
            return time.perf_counter() - started

        for case in cases[:5]:  # warm-up: the worker's first connections
            submit_and_wait(case)
        for case in cases[5:]:
            latencies.append(submit_and_wait(case))
    finally:
        worker.terminate()
        worker.wait(20)
        redis.terminate()
        redis.wait(15)

    ms = [x * 1000 for x in latencies]
    print(
        f"commit-to-inbox latency over {len(ms)} submissions, worker on Redis, PostgreSQL: "
        f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms, "
        f"mean {statistics.mean(ms):.1f} ms",
        flush=True,
    )


if __name__ == "__main__":
    main()
