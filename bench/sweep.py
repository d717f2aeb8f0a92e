"""Benchmark the SLA sweep: N running clocks of which D are due, on PostgreSQL.

    python -m bench.sweep                     # 1,000,000 clocks, 10,000 due, 3 sweeps
    python -m bench.sweep --n 2000 --due 200  # CI smoke

It (re)creates a database of its own on the server ``DATABASE_URL`` names
(``<name>_bench_sweep``; without it ``cas_bench_sweep`` on 127.0.0.1), migrates it,
bulk-loads UAC cases with their five clocks by ``INSERT ... SELECT generate_series`` (half
of the due clocks at a warning point, half past their due time), and times
``cases.sla.sweep_clocks()`` exactly as the Celery task calls it. Each sweep writes one
event-log row per due clock. Before every timed sweep the due clocks are put back to their
due state. It prints seconds per sweep and due clocks per second, plus the cost of a sweep
with nothing due.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

import psycopg

from bench.common import (
    database_name,
    database_url,
    migrate,
    print_machine,
    raw_connect,
    recreate_database,
    setup_django,
    with_database,
)

POLICIES = 5  # a UAC case carries all five clocks


def bench_database() -> str:
    """``DATABASE_URL``'s server with a database of our own: ``<name>_bench_sweep`` unless
    the name already says bench (only a bench database is ever dropped)."""
    url = database_url("cas_bench_sweep")
    name = database_name(url)
    return url if "bench" in name else with_database(url, f"{name}_bench_sweep")


LOAD_SQL = """
INSERT INTO cases_subject (first_name, last_name, second_last_name, date_of_birth, sex,
                           country_of_citizenship, a_number, apprehended_at)
SELECT 'Ana', 'López', 'García', DATE '2012-06-01', 'F', 'GT', '',
       %(now)s - interval '1 hour'
FROM generate_series(1, %(cases)s);

INSERT INTO cases_apprehensionevent (event_number, station_id, apprehended_at, created_at)
SELECT 'BENCH' || lpad(g::text, 9, '0'), %(station)s, %(now)s - interval '1 hour', %(now)s
FROM generate_series(1, %(cases)s) g;

INSERT INTO cases_case (case_number, subject_id, event_id, demographic, family_group_number,
                        station_id, sector_id, routed_to_id, custody_unit_id, state, narrative,
                        submissions, last_rejection_reasons, last_rejection_comment,
                        release_type, release_address_key, booked_at, updated_at)
SELECT 'BENCH' || lpad(s.id::text, 9, '0') || '-01', s.id, e.id, 'uac', '',
       %(station)s, %(sector)s, %(aor)s, %(station)s, 'booked', '', 0, '[]', '', '', '',
       %(now)s, %(now)s
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM cases_subject) s
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM cases_apprehensionevent) e
  ON e.rn = s.rn;

CREATE TEMP TABLE bench_clock AS
SELECT c.id AS case_id, p.id AS policy_id, p.duration,
       row_number() OVER (ORDER BY c.id, p.id) AS rn
FROM cases_case c CROSS JOIN cases_slapolicy p;

-- every step-th clock is due: odd ones at a warning point, even ones past their due time
INSERT INTO cases_slaclock (case_id, policy_id, started_at, due_at, effective_due_at,
                            next_check_at, warnings_sent, status)
SELECT case_id, policy_id, started, started + duration, started + duration,
       CASE WHEN kind = 'breach' THEN started + duration
            ELSE started + duration * 0.5 END,
       CASE WHEN kind = 'breach' THEN '["0.5", "0.75"]'::jsonb ELSE '[]'::jsonb END,
       'running'
FROM (
  SELECT case_id, policy_id, duration,
         CASE WHEN rn %% %(step)s <> 0 THEN 'idle'
              WHEN (rn / %(step)s) %% 2 = 0 THEN 'breach' ELSE 'warning' END AS kind,
         CASE WHEN rn %% %(step)s <> 0 THEN %(now)s - interval '1 hour'
              WHEN (rn / %(step)s) %% 2 = 0 THEN %(now)s - duration - interval '1 hour'
              ELSE %(now)s - duration * 0.6 END AS started
  FROM bench_clock
) k;

CREATE TABLE bench_due AS
SELECT id, CASE WHEN warnings_sent = '[]'::jsonb THEN 'warning' ELSE 'breach' END AS kind
FROM cases_slaclock WHERE next_check_at <= %(now)s;
"""

RESET_SQL = """
UPDATE cases_slaclock c SET
  warnings_sent = CASE WHEN d.kind = 'breach' THEN '["0.5", "0.75"]'::jsonb ELSE '[]'::jsonb END,
  warned_at = NULL, breached_at = NULL, status = 'running',
  next_check_at = CASE WHEN d.kind = 'breach' THEN c.due_at
                       ELSE c.started_at + (c.due_at - c.started_at) * 0.5 END
FROM bench_due d WHERE d.id = c.id;
"""


def run_sweepers(count: int, kwargs: dict) -> list:
    """``count`` sweeps at once, as several Celery workers would run them."""
    import threading

    from django.db import connection

    from cases import sla

    if count == 1:
        return [sla.sweep_clocks(**kwargs)]
    results: list = []

    def one() -> None:
        try:
            results.append(sla.sweep_clocks(**kwargs))
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="running clocks")
    parser.add_argument("--due", type=int, default=10_000, help="of which due")
    parser.add_argument("--repeat", type=int, default=3, help="timed sweeps")
    parser.add_argument("--batch-size", type=int, default=None, help="sweep batch size")
    parser.add_argument(
        "--sweepers", type=int, default=1, help="concurrent sweeps (threads, one connection each)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if args.n < POLICIES or not 0 < args.due <= args.n:
        parser.error("need --n >= 5 and 0 < --due <= --n")

    url = bench_database()
    recreate_database(url)
    # The sweep itself, without the notification fan-out's per-event wake-up messages.
    os.environ.setdefault("CAS_NOTIFY_ON_COMMIT", "off")
    setup_django(url)
    from django.db import connection

    from cases import sla
    from cases.models import SlaClock, Unit
    from cases.reference import load_reference

    try:
        migrate()
        load_reference()
        cases = -(-args.n // POLICIES)
        total = cases * POLICIES
        step = max(total // args.due, 1)
        station = Unit.objects.get(code="EPT-EPS")
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        # One script of several statements: psycopg's client-side binding sends it as one
        # simple query (the project's connection binds server-side, one statement at a time).
        with raw_connect(url, cursor_factory=psycopg.ClientCursor) as conn, conn.cursor() as cur:
            cur.execute(
                LOAD_SQL,
                {
                    "now": now,
                    "cases": cases,
                    "station": station.pk,
                    "sector": station.parent_id,
                    "aor": station.parent.routes_to_id,
                    "step": step,
                },
            )
            cur.execute("ANALYZE")
            cur.execute("SELECT count(*) FROM bench_due")
            due = cur.fetchone()[0]
        load_seconds = time.perf_counter() - t0
        running = SlaClock.objects.filter(stopped_at__isnull=True).count()
        print(f"loaded {running:,} running clocks ({due:,} due) in {load_seconds:.1f} s")

        kwargs = {"batch_size": args.batch_size} if args.batch_size else {}
        timings = []
        for i in range(args.repeat):
            if i:
                with connection.cursor() as cur:
                    cur.execute(RESET_SQL)
            started = time.perf_counter()
            results = run_sweepers(args.sweepers, kwargs)
            seconds = time.perf_counter() - started
            warnings = sum(r.warnings for r in results)
            breaches = sum(r.breaches for r in results)
            if warnings + breaches != due:
                raise SystemExit(f"sweep fired {warnings + breaches} events for {due} due clocks")
            timings.append(seconds)
            print(
                f"sweep {i + 1}: {seconds:.2f} s for {due:,} due clocks "
                f"({warnings:,} warnings, {breaches:,} breaches, "
                f"{sum(r.batches for r in results)} batches, {args.sweepers} sweeper(s)) "
                f"= {due / seconds:,.0f} clocks/s"
            )
        idle = []
        for _ in range(5):
            started = time.perf_counter()
            result = sla.sweep_clocks()
            idle.append(time.perf_counter() - started)
            assert result.examined == 0
        median = statistics.median(timings)
        print()
        print(f"date:     {now:%Y-%m-%d %H:%M} UTC")
        print_machine(url)
        print(
            f"clocks:   {running:,} running, {due:,} due, batch size "
            f"{args.batch_size or sla.SWEEP_BATCH_SIZE}, {args.sweepers} sweeper(s)"
        )
        print(f"sweep:    median {median:.2f} s per sweep = {due / median:,.0f} due clocks/s")
        print(f"idle:     median {statistics.median(idle) * 1000:.1f} ms per sweep (nothing due)")
    finally:
        connection.close()
        if not args.keep:
            drop_database(url)


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


if __name__ == "__main__":
    main()
