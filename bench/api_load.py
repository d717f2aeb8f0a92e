"""API under load: gunicorn on a seeded PostgreSQL, 32 concurrent locust users, headless.

    python -m bench.api_load                       # on the database bench.seed filled
    python -m bench.api_load --seed 2000 --duration 20   # seed first (the CI smoke)

Half the users are USBP agents of the stations routed to ERO El Paso (booking, submit, case
detail), half ERO El Paso officers (queue, case detail, accept); see bench/locustfile.py.
Each user waits 0.25-0.75 s between requests (``--wait``). Prints throughput and
p50/p95/p99 per endpoint and the error count; exits non-zero on any error. The after-commit
notification wake-ups go to Redis db 7 as in production, with no worker consuming them
(purged at the end), so the figures are the web tier's alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
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

READS = ("ERO queue", "case detail")
AOR = "ELP"


def build_pool(url: str, path: Path) -> dict:
    """Tokens for the agents of the AOR's stations and its officers, and the case ids they
    act on (booked cases to submit, submitted ones to accept, cases to open)."""
    from rest_framework.authtoken.models import Token

    from cases.models import Role, User

    users = list(
        User.objects.filter(
            username__startswith="bench_", role__in=[Role.USBP_AGENT, Role.ERO_OFFICER]
        ).select_related("unit__parent__routes_to")
    )
    agents, officers = [], []
    for user in users:
        token, _ = Token.objects.get_or_create(user=user)
        if user.role == Role.ERO_OFFICER and user.unit.code == AOR:
            officers.append({"token": token.key, "aor": AOR})
        if user.role == Role.USBP_AGENT and user.unit.parent.routes_to.code == AOR:
            agents.append(
                {"token": token.key, "station": user.unit.code, "sector": user.unit.parent.code}
            )
    stations = [a["station"] for a in agents]
    with raw_connect(url) as conn:
        booked: dict[str, list[int]] = {s: [] for s in stations}
        rows = conn.execute(
            "SELECT u.code, c.id FROM cases_case c JOIN cases_unit u ON u.id = c.station_id "
            # Only cases ready to submit: not the ones an earlier run booked without a narrative.
            "WHERE c.state = 'booked' AND u.code = ANY(%s) AND length(c.narrative) >= 20 "
            "ORDER BY c.id",
            (stations,),
        ).fetchall()
        for code, case_id in rows:
            booked[code].append(case_id)
        submitted = [
            r[0]
            for r in conn.execute(
                "SELECT c.id FROM cases_case c JOIN cases_unit u ON u.id = c.routed_to_id "
                "WHERE c.state = 'submitted' AND u.code = %s ORDER BY c.id",
                (AOR,),
            )
        ]
        # Case details: any case of the station, open or closed (a random sample of ids).
        agent_detail = {}
        for code in stations:
            agent_detail[code] = [
                r[0]
                for r in conn.execute(
                    "SELECT c.id FROM cases_case c JOIN cases_unit u ON u.id = c.station_id "
                    "WHERE u.code = %s ORDER BY random() LIMIT 2000",
                    (code,),
                )
            ] or booked[code]
        officer_detail = submitted[:] or [r[0] for r in rows]
    random.shuffle(submitted)
    pool = {
        "agents": agents,
        "officers": officers,
        "booked": booked,
        "submitted": submitted,
        "agent_detail": agent_detail,
        "officer_detail": officer_detail,
    }
    path.write_text(json.dumps(pool))
    return pool


def profile_endpoints(pool: dict, repeat: int, out: Path) -> None:
    """Each read endpoint in-process, ``repeat`` times: CPU milliseconds of the web process
    and milliseconds spent in the database per request, and a pyinstrument profile of the
    slowest (independent of the load generator and of gunicorn's queueing)."""
    import time

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    officer, agent = pool["officers"][0], pool["agents"][0]
    endpoints = {
        "ERO queue": (officer, f"/api/v1/cases/?state=submitted&routed_to={officer['aor']}"),
        "case detail": (officer, f"/api/v1/cases/{pool['officer_detail'][0]}/"),
        "case detail (agent)": (
            agent,
            f"/api/v1/cases/{pool['agent_detail'][agent['station']][0]}/",
        ),
    }
    slowest, worst = None, 0.0
    print(f"{'in-process':<22} {'wall ms':>8} {'CPU ms':>7} {'DB ms':>7} {'queries':>8}")
    for label, (who, path) in endpoints.items():
        client = Client(HTTP_AUTHORIZATION=f"Token {who['token']}")
        client.get(path)  # warm
        wall = cpu = db = 0.0
        queries = 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                w0, c0 = time.perf_counter(), time.process_time()
                response = client.get(path)
                wall += time.perf_counter() - w0
                cpu += time.process_time() - c0
            assert response.status_code == 200, (path, response.status_code)
            db += sum(float(q["time"]) for q in ctx.captured_queries)
            queries += len(ctx.captured_queries)
        print(
            f"{label:<22} {wall / repeat * 1000:>8.0f} {cpu / repeat * 1000:>7.0f} "
            f"{db / repeat * 1000:>7.0f} {queries / repeat:>8.1f}"
        )
        if wall > worst:
            slowest, worst = (label, client, path), wall
    label, client, path = slowest
    profiler = Profiler(interval=0.005)
    profiler.start()
    for _ in range(repeat):
        client.get(path)
    profiler.stop()
    target = out / "api-profile.txt"
    target.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"profile of {label}: {target}")


def start_gunicorn(
    url: str, port: int, workers: int, threads: int, log: Path, reuse_port: bool = True
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER_URL,
        "CAS_USER_RATE": "1000000/min",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "600",
    }
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--timeout",
        "60",
        # Locust keeps connections open between requests; gunicorn's 2 s default closed some
        # while they waited in its queue, and the next request on them failed.
        "--keep-alive",
        "30",
    ]
    if reuse_port:
        # Each worker its own listening socket, so the kernel spreads the clients' kept-alive
        # connections over the workers; with one shared socket most of them landed on one
        # worker, which ran at a full core (its GIL) while the others idled.
        cmd.append("--reuse-port")
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            break
    stop(process)
    raise SystemExit(f"gunicorn did not answer /healthz; see {log}")


def warm_up(port: int, pool: dict, workers: int) -> None:
    """Open each read endpoint a few times per worker, so that no measured request pays for
    a worker's first imports."""
    officer, agent = pool["officers"][0], pool["agents"][0]
    paths = [
        (officer, f"/api/v1/cases/?state=submitted&routed_to={officer['aor']}"),
        (officer, f"/api/v1/cases/{pool['officer_detail'][0]}/"),
        (agent, f"/api/v1/cases/{pool['agent_detail'][agent['station']][0]}/"),
    ]
    for _ in range(3 * workers):
        for who, path in paths:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Token {who['token']}"}
            )
            with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (http only)
                r.read()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_locust(*, port: int, users: int, duration: int, wait: float, pool: Path, out: Path) -> Path:
    env = {**os.environ, "BENCH_API_POOL": str(pool), "BENCH_API_WAIT": str(wait)}
    prefix = out / "api"
    cmd = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    with (out / "locust.log").open("w") as log:
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    return Path(f"{prefix}_stats.csv")


def report(stats: Path) -> tuple[list[dict], int, bool]:
    rows = list(csv.DictReader(stats.open()))
    errors, ok = 0, True
    print(
        f"{'endpoint':<14} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'errors':>7}"
    )
    for row in rows:
        name = row["Name"]
        label = "total" if name == "Aggregated" else name
        print(
            f"{label:<14} {row['Request Count']:>9} {float(row['Requests/s']):>7.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {row['Failure Count']:>7}"
        )
        if name != "Aggregated":
            errors += int(row["Failure Count"])
            if name in READS and row["95%"] != "N/A" and float(row["95%"]) > 150:
                ok = False
    return rows, errors, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="cas_bench", help="database when DATABASE_URL is unset")
    parser.add_argument("--seed", type=int, default=0, help="seed N cases first (fresh database)")
    parser.add_argument("--open", type=int, default=25_000, help="open cases when seeding")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (0: none)")
    parser.add_argument("--wait", type=float, default=0.5, help="mean think time per user (s)")
    parser.add_argument("--port", type=int, default=18710)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--reuse-port",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one listening socket per gunicorn worker (SO_REUSEPORT)",
    )
    parser.add_argument("--profile", type=int, default=0, help="also time N in-process reads")
    args = parser.parse_args(argv)
    url = database_url(args.db)
    if args.seed:
        from bench.seed import seed

        seed(url=url, n=args.seed, open_cases=min(args.open, args.seed // 4), fresh=True)
    else:
        setup_django(url)
    with raw_connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        open_n = conn.execute(
            "SELECT count(*) FROM cases_case "
            "WHERE state IN ('booked', 'submitted', 'rejected', 'accepted')"
        ).fetchone()[0]
    out = Path(tempfile.mkdtemp(prefix="cas-api-load-"))
    pool = build_pool(url, out / "pool.json")
    print(
        f"api load: {total:,} cases ({open_n:,} open); {args.users} users "
        f"({len(pool['agents'])} agent and {len(pool['officers'])} officer tokens), "
        f"{args.duration} s, think time ~{args.wait} s; gunicorn {args.workers} workers x "
        f"{args.threads} threads on :{args.port}",
        flush=True,
    )
    if args.duration <= 0:  # profile only
        print_machine(url)
        profile_endpoints(pool, max(args.profile, 5), out)
        return 0
    server = start_gunicorn(
        url, args.port, args.workers, args.threads, out / "gunicorn.log", args.reuse_port
    )
    try:
        warm_up(args.port, pool, args.workers)
        stats = run_locust(
            port=args.port,
            users=args.users,
            duration=args.duration,
            wait=args.wait,
            pool=out / "pool.json",
            out=out,
        )
    finally:
        stop(server)
        purge_broker()
    print_machine(url)
    _rows, errors, ok = report(stats)
    print(f"errors: {errors}; p95 <= 150 ms on every read endpoint: {'yes' if ok else 'NO'}")
    print(f"(locust CSV and logs in {out})")
    if args.profile:
        profile_endpoints(pool, args.profile, out)
    if errors:
        failures = out / "api_failures.csv"
        if failures.exists():
            print(failures.read_text()[:2000])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
