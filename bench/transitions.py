"""Transition throughput against the floor: the same N cases through booked -> submitted ->
accepted -> transferred on PostgreSQL, three ways, in one run.

    python -m bench.transitions --n 10000 [--profile]

(c) the floor: raw psycopg, per transition one transaction with the state update and one
    event row, nothing else;
(b) the plain peer: a bare django-fsm-2 model with django-simple-history (``bench.peer``),
    per transition one transaction that locks the row, runs the transition and saves;
(a) our service layer: ``cases.services.submit_case / accept_case / transfer_case``, with
    their row lock, scope, role, state and rule checks, the field history, the event row and
    the legal clocks.

The N cases are seeded booked (bench.seed, FY2021 mix, UACs already designated to a care
provider). (c) runs on them first, then their state is put back to booked; (b) runs on a
copy of them in the peer table; (a) runs last. One client, one transition at a time, phase
by phase (every submit, then every accept, then every transfer), as officers work queues.
Prints transitions per second for each, the ratios a/c and a/b, and the queries per
transition of (a); ``--profile`` also writes a pyinstrument profile of (a) to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from bench.common import ROOT, database_url, print_machine, purge_broker, raw_connect, timed
from bench.seed import seed

PHASES = (("submit", "booked", "submitted"), ("accept", "submitted", "accepted"),
          ("transfer", "accepted", "transferred"))  # fmt: skip
SAMPLE = 30  # extra cases, outside the timed runs, for counting queries


def load_workload(first_case: int, count: int) -> list[tuple]:
    """(case id, case number, agent, officer, transfer target id) for each seeded case."""
    from cases.models import Case, Role, UnitKind, User

    users = {
        u.unit_id: u
        for u in User.objects.filter(username__startswith="bench_").select_related("unit")
    }
    agents = {k: u for k, u in users.items() if u.role == Role.USBP_AGENT}
    officers = {k: u for k, u in users.items() if u.role == Role.ERO_OFFICER}
    from cases.models import Unit

    facility = {}
    for unit in Unit.objects.filter(kind=UnitKind.DETENTION_FACILITY).order_by("code"):
        facility.setdefault(unit.parent_id, unit)
    units = {u.pk: u for u in Unit.objects.all()}
    rows = []
    for c in (
        Case.objects.filter(pk__gte=first_case)
        .order_by("pk")[:count]
        .values("pk", "case_number", "station_id", "routed_to_id", "designated_provider_id")
    ):
        target = (
            units[c["designated_provider_id"]]
            if c["designated_provider_id"]
            else facility[c["routed_to_id"]]
        )
        rows.append(
            (
                c["pk"],
                c["case_number"],
                agents[c["station_id"]],
                officers[c["routed_to_id"]],
                target,
            )
        )
    return rows


def seed_workload(url: str, count: int) -> list[tuple]:
    """A fresh database with ``count`` booked cases (UACs designated), and their workload."""
    result = seed(
        url=url,
        n=count,
        open_cases=count,
        fresh=True,
        settings_module="bench.settings",
        plan_options={"open_states": (("booked", 1.0),), "designate_open_uac": True},
    )
    return load_workload(result["first_case"], count)


# --- (c) the floor ------------------------------------------------------------------------

EVENT_SQL = (
    "INSERT INTO cases_eventlogentry (event_type, case_id, transition, from_state, to_state, "
    "actor_id, actor_role, actor_unit_id, reason, payload, request_id, occurred_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '{}', '', now())"
)


def run_floor(url: str, work: list[tuple]) -> float:
    # autocommit: each ``conn.transaction()`` below is its own BEGIN ... COMMIT.
    with raw_connect(url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        start = time.perf_counter()
        for name, source, target in PHASES:
            for case_id, _number, agent, officer, _unit in work:
                actor = agent if name == "submit" else officer
                with conn.transaction():
                    cur = conn.execute(
                        "UPDATE cases_case SET state = %s WHERE id = %s AND state = %s",
                        (target, case_id, source),
                    )
                    if cur.rowcount != 1:
                        raise SystemExit(f"floor: case {case_id} was not {source}")
                    conn.execute(
                        EVENT_SQL,
                        (
                            f"case.{target}",
                            case_id,
                            name,
                            source,
                            target,
                            actor.pk,
                            actor.role,
                            actor.unit_id,
                        ),
                    )
        return time.perf_counter() - start


def reset_to_booked(url: str, work: list[tuple]) -> None:
    ids = [w[0] for w in work]
    with raw_connect(url, autocommit=True) as conn:
        conn.execute("UPDATE cases_case SET state = 'booked' WHERE id = ANY(%s)", (ids,))
        conn.execute("VACUUM ANALYZE cases_case")


# --- (b) the plain peer -------------------------------------------------------------------


def create_peer_tables() -> None:
    from django.db import connection

    from bench.peer.models import PeerCase

    with connection.schema_editor() as editor:
        for model in (PeerCase, PeerCase.history.model):
            editor.create_model(model)


def load_peer(work: list[tuple]) -> list[int]:
    from bench.peer.models import PeerCase

    rows = PeerCase.objects.bulk_create(
        [
            PeerCase(case_number=number, custody_unit_id=agent.unit_id)
            for _, number, agent, _, _ in work
        ],
        batch_size=5000,
    )
    return [r.pk for r in rows]


def run_peer(work: list[tuple], peer_ids: list[int]) -> float:
    from django.db import transaction

    from bench.peer.models import PeerCase

    start = time.perf_counter()
    for name, _source, _target in PHASES:
        for peer_id, (_, _, _, _, unit) in zip(peer_ids, work, strict=True):
            with transaction.atomic():
                case = PeerCase.objects.select_for_update().get(pk=peer_id)
                if name == "transfer":
                    case.transfer(to_unit_id=unit.pk)
                else:
                    getattr(case, name)()
                case.save()
    return time.perf_counter() - start


# --- (a) our service layer ----------------------------------------------------------------


def service_step(name: str, item: tuple) -> None:
    from cases import services

    case_id, _number, agent, officer, unit = item
    if name == "submit":
        services.submit_case(case=case_id, actor=agent)
    elif name == "accept":
        services.accept_case(case=case_id, actor=officer)
    else:
        services.transfer_case(case=case_id, actor=officer, to_unit=unit)


def run_services(work: list[tuple]) -> float:
    start = time.perf_counter()
    for name, _source, _target in PHASES:
        for item in work:
            service_step(name, item)
    return time.perf_counter() - start


def count_queries(sample: list[tuple]) -> dict[str, dict]:
    """Queries per transition of (a), by kind, over the sample cases."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name, _source, _target in PHASES:
        kinds: Counter[str] = Counter()
        total = 0
        for item in sample:
            with CaptureQueriesContext(connection) as ctx:
                service_step(name, item)
            total += len(ctx.captured_queries)
            for q in ctx.captured_queries:
                kinds[_shape(q["sql"])] += 1
        out[name] = {
            "per_transition": total / len(sample),
            "shapes": {k: v / len(sample) for k, v in kinds.most_common()},
        }
    return out


def _shape(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper()
    table = ""
    for key in ("FROM", "INTO", "UPDATE"):
        if key in words:
            table = words[words.index(key) + 1].strip('"')
            break
    if verb == "SELECT" and "FOR UPDATE" in sql:
        verb = "SELECT..FOR UPDATE"
    if verb == "SELECT" and sql.startswith("SELECT 1 AS"):
        verb = "EXISTS"
    return f"{verb} {table}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="cases (default 10,000)")
    parser.add_argument("--db", default="cas_bench_tx", help="database when DATABASE_URL is unset")
    parser.add_argument("--profile", action="store_true", help="profile (a) with pyinstrument")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    url = database_url(args.db)
    n = args.n
    print(
        f"transitions: {n:,} cases x 3 transitions, one client, database {url.rsplit('/', 1)[-1]}"
    )
    everything = seed_workload(url, n + SAMPLE)
    sample, work = everything[:SAMPLE], everything[SAMPLE:]
    transitions = 3 * len(work)
    figures: dict[str, float] = {}

    with timed("(c) raw psycopg floor"):
        seconds = run_floor(url, work)
    figures["c"] = transitions / seconds
    reset_to_booked(url, work)

    create_peer_tables()
    peer_ids = load_peer(work)
    with timed("(b) django-fsm-2 + simple-history peer"):
        seconds = run_peer(work, peer_ids)
    figures["b"] = transitions / seconds

    queries = count_queries(sample)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    with timed("(a) cases.services"):
        seconds = run_services(work)
    figures["a"] = transitions / seconds
    if profiler is not None:
        profiler.stop()
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        path = Path(out / "transitions-profile.txt")
        path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        profiler.write_html(str(out / "transitions-profile.html"))
        print(f"  profile of (a): {path}")

    purge_broker()
    print_machine(url)
    print(f"{'path':<40} {'transitions/s':>14}")
    print(f"{'(a) cases.services':<40} {figures['a']:>14,.0f}")
    print(f"{'(b) django-fsm-2 + simple-history':<40} {figures['b']:>14,.0f}")
    print(f"{'(c) raw psycopg (update + event row)':<40} {figures['c']:>14,.0f}")
    print(f"a/c = {figures['a'] / figures['c']:.2f}   a/b = {figures['a'] / figures['b']:.2f}")
    for name, q in queries.items():
        shapes = ", ".join(f"{v:g} {k}" for k, v in q["shapes"].items())
        print(f"  (a) {name}: {q['per_transition']:.1f} queries/transition: {shapes}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"n": n, "per_second": figures, "queries": queries}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
