"""Timer storm: K legal clocks due in the same minute, with a live Celery worker and beat.

    python -m bench.timer_storm                      # on the database bench.seed filled
    python -m bench.timer_storm --seed 2000 --clocks 300   # seed first (the CI smoke)

Takes K running custody-determination clocks of open cases in the seeded database (1,000,000
cases, 2.2 million clock rows) and makes them due across one minute starting ``--lead``
seconds from now, their 50 % and 75 % warnings already sent, as if the cases had sat 48
hours. Then starts ``celery worker`` and ``celery beat`` (Redis db 7, the project's own beat
schedule and sweep interval) and polls the event log until every one of the K clocks has
its ``sla.breached`` event. Prints the lateness of the breaches (event time minus due time,
and the time the poll first saw the event), and whether each came within 120 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import (
    BROKER_URL,
    ROOT,
    database_url,
    print_machine,
    purge_broker,
    raw_connect,
    setup_django,
)

TARGET_SECONDS = 120


def arm_storm(url: str, clocks: int, lead: float) -> tuple[dict[int, datetime], datetime]:
    """Make ``clocks`` running custody clocks due across one minute from now + lead."""
    with raw_connect(url) as conn:
        policy = conn.execute(
            "SELECT id FROM cases_slapolicy WHERE name = 'custody_determination'"
        ).fetchone()[0]
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM cases_slaclock WHERE policy_id = %s AND stopped_at IS NULL "
                "AND breached_at IS NULL ORDER BY id LIMIT %s",
                (policy, clocks),
            )
        ]
        if len(ids) < clocks:
            raise SystemExit(f"only {len(ids)} running custody clocks; seed more open cases")
        start = datetime.now(UTC) + timedelta(seconds=lead)
        due = {
            clock_id: start + timedelta(seconds=60 * i / clocks) for i, clock_id in enumerate(ids)
        }
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE storm (id bigint PRIMARY KEY, due timestamptz) ON COMMIT DROP"
            )
            with cur.copy("COPY storm (id, due) FROM STDIN") as copy:
                for clock_id, at in due.items():
                    copy.write_row((clock_id, at))
            cur.execute(
                "UPDATE cases_slaclock c SET started_at = s.due - interval '48 hours', "
                "due_at = s.due, effective_due_at = s.due, extended_due_at = NULL, "
                'next_check_at = s.due, warnings_sent = \'["0.5", "0.75"]\', '
                "warned_at = s.due - interval '12 hours', status = 'running' "
                "FROM storm s WHERE c.id = s.id"
            )
        conn.commit()
        window_end = start + timedelta(seconds=60 + TARGET_SECONDS)
        others = conn.execute(
            "SELECT count(*) FROM cases_slaclock WHERE stopped_at IS NULL "
            "AND next_check_at <= %s AND NOT (id = ANY(%s))",
            (window_end, ids),
        ).fetchone()[0]
        running = conn.execute(
            "SELECT count(*) FROM cases_slaclock WHERE stopped_at IS NULL"
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM cases_slaclock").fetchone()[0]
        cases = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
    print(
        f"armed {clocks:,} clocks due {start:%H:%M:%S}-{start + timedelta(seconds=60):%H:%M:%S} "
        f"UTC among {total:,} clock rows ({running:,} running) of {cases:,} cases; "
        f"{others:,} other clocks also due in the window",
        flush=True,
    )
    return due, start


def start_celery(url: str, data: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER_URL,
        "CAS_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
    }
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    worker = [
        *celery,
        "worker",
        "--loglevel",
        "WARNING",
        "--concurrency",
        "2",
        "-Q",
        "cas",
        "-n",
        "bench-storm@%h",
    ]
    beat = [*celery, "beat", "--loglevel", "WARNING", "-s", str(data / "celerybeat-schedule")]
    procs = []
    for name, cmd in (("worker", worker), ("beat", beat)):
        log = (data / f"{name}.log").open("w")
        procs.append(
            subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
    return procs


def stop_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def watch(url: str, due: dict[int, datetime], timeout: float) -> tuple[dict, dict]:
    """Poll the event log until every armed clock has its breach event (or timeout)."""
    seen_at: dict[int, datetime] = {}
    event_at: dict[int, datetime] = {}
    deadline = time.monotonic() + timeout
    ids = list(due)
    with raw_connect(url, autocommit=True) as conn:
        last_id = conn.execute("SELECT coalesce(max(id), 0) FROM cases_eventlogentry").fetchone()[0]
        while len(seen_at) < len(due) and time.monotonic() < deadline:
            rows = conn.execute(
                "SELECT id, (payload->>'clock')::bigint, occurred_at FROM cases_eventlogentry "
                "WHERE id > %s AND event_type = 'sla.breached' ORDER BY id",
                (last_id,),
            ).fetchall()
            now = datetime.now(UTC)
            for event_id, clock_id, occurred in rows:
                last_id = max(last_id, event_id)
                if clock_id in due and clock_id not in seen_at:
                    seen_at[clock_id] = now
                    event_at[clock_id] = occurred
            if rows:
                print(f"  {now:%H:%M:%S} {len(seen_at):,}/{len(due):,} breaches", flush=True)
            time.sleep(1)
        duplicates = conn.execute(
            "SELECT count(*) - count(DISTINCT payload->>'clock') FROM cases_eventlogentry "
            "WHERE event_type = 'sla.breached' AND (payload->>'clock')::bigint = ANY(%s)",
            (ids,),
        ).fetchone()[0]
    if duplicates:
        print(f"  DUPLICATE breach events: {duplicates}")
    return seen_at, event_at


def summarise(label: str, lateness: list[float]) -> str:
    if not lateness:
        return f"{label}: none"
    q = statistics.quantiles(lateness, n=100) if len(lateness) > 1 else lateness * 99
    return (
        f"{label}: p50 {q[49]:.1f} s, p95 {q[94]:.1f} s, max {max(lateness):.1f} s, "
        f"min {min(lateness):.1f} s"
    )


def profile_sweep(url: str, clocks: int) -> None:
    """Arm ``clocks`` clocks already due and run one sweep in this process under
    pyinstrument (no worker, no beat): breaches per second of the sweep alone, and where
    its time goes."""
    from pyinstrument import Profiler

    from cases import sla

    arm_storm(url, clocks, lead=-61)
    profiler = Profiler(interval=0.005)
    profiler.start()
    started = time.perf_counter()
    result = sla.sweep_clocks()
    seconds = time.perf_counter() - started
    profiler.stop()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    target = out / "sweep-profile.txt"
    target.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(
        f"in-process sweep: {result.breaches:,} breaches in {seconds:.1f} s "
        f"({result.breaches / seconds:,.0f}/s, {result.batches} batches); profile: {target}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="cas_bench", help="database when DATABASE_URL is unset")
    parser.add_argument("--seed", type=int, default=0, help="seed N cases first (fresh database)")
    parser.add_argument("--open", type=int, default=25_000, help="open cases when seeding")
    parser.add_argument("--clocks", type=int, default=10_000, help="clocks due in the minute")
    parser.add_argument("--lead", type=float, default=30, help="seconds until the storm minute")
    parser.add_argument("--timeout", type=float, default=900, help="give up after S seconds")
    parser.add_argument(
        "--profile", type=int, default=0, help="only profile one in-process sweep of N clocks"
    )
    args = parser.parse_args(argv)
    url = database_url(args.db)
    if args.seed:
        from bench.seed import seed

        seed(url=url, n=args.seed, open_cases=min(args.open, args.seed), fresh=True)
    else:
        setup_django(url)
    from django.conf import settings

    interval = settings.CAS_SWEEP_INTERVAL_SECONDS
    purge_broker()
    if args.profile:
        profile_sweep(url, args.profile)
        purge_broker()
        return 0
    due, start = arm_storm(url, args.clocks, args.lead)
    data = Path(tempfile.mkdtemp(prefix="cas-storm-"))
    procs = start_celery(url, data)
    begun = time.monotonic()
    try:
        seen_at, event_at = watch(url, due, args.timeout + args.lead + 60)
    finally:
        stop_all(procs)
        purge_broker()
    elapsed = time.monotonic() - begun
    print_machine(url)
    late_seen = [(seen_at[c] - due[c]).total_seconds() for c in seen_at]
    late_event = [(event_at[c] - due[c]).total_seconds() for c in event_at]
    within = sum(1 for x in late_seen if x <= TARGET_SECONDS)
    print(
        f"timer storm: {len(due):,} clocks due in one minute, sweep every {interval:g} s "
        f"(celery beat), worker concurrency 2"
    )
    print(f"  breach events: {len(seen_at):,}/{len(due):,} after {elapsed:.0f} s of worker time")
    if seen_at:
        last = max(seen_at.values())
        print(f"  last breach seen {(last - start).total_seconds():.1f} s after the minute began")
    print("  " + summarise("lateness by event time (occurred_at - due)", late_event))
    print("  " + summarise("lateness as first seen by the poll (1 s)", late_seen))
    print(f"  within {TARGET_SECONDS} s of due: {within:,}/{len(due):,}")
    print(f"  (worker and beat logs in {data})")
    return 0 if within == len(due) else 1


if __name__ == "__main__":
    sys.exit(main())
