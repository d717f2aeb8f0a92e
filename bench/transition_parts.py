"""Where the service layer's transition time goes, part by part, in-process.

    python -m bench.transition_parts --n 300      # database cas_bench_parts, recreated

Seeds N booked cases as ``bench.transitions`` does, then runs (a) (submit, accept, transfer
through ``cases.services``) with each part wrapped in a timer: the locked read, the rules,
the transition and its save with the history row, the event row with the legal clocks and
the separation check, and the commit. Prints wall and CPU milliseconds per transition for
each part (a part's time includes the parts it calls).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict

from bench.common import database_url, print_machine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="cases (default 300)")
    parser.add_argument("--db", default="cas_bench_parts", help="database unless DATABASE_URL")
    args = parser.parse_args(argv)
    url = database_url(args.db)
    from bench import transitions as tx

    work = tx.seed_workload(url, args.n)

    import django.db.transaction as db_transaction

    import transfers.services as transfer_services
    from cases import rules, services, sla

    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    labels: list[str] = []

    def timer(owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        @functools.wraps(inner)
        def timed_call(*a, **kw):
            w, c = time.perf_counter(), time.process_time()
            try:
                return inner(*a, **kw)
            finally:
                wall[label] += time.perf_counter() - w
                cpu[label] += time.process_time() - c

        setattr(owner, name, timed_call)
        labels.append(label)

    timer(services, "_lock_case", "lock the row, read it with its relations")
    timer(rules, "check_submission", "submission rules")
    timer(services, "record_event", "event row, clocks, separations")
    timer(sla, "apply_event", "  of which the legal clocks")
    timer(transfer_services, "record_separations", "  of which the separation check")
    timer(db_transaction.Atomic, "__exit__", "commit (and after-commit wake-up)")
    timer(services, "_apply", "transition, save, history row")

    count = 3 * len(work)
    w0, c0 = time.perf_counter(), time.process_time()
    for name, _source, _target in tx.PHASES:
        for item in work:
            tx.service_step(name, item)
    total_wall, total_cpu = time.perf_counter() - w0, time.process_time() - c0
    print_machine(url)
    print(f"{count:,} transitions: {count / total_wall:,.0f}/s")
    print(f"{'part':<44} {'wall ms':>8} {'CPU ms':>8}   (per transition)")
    print(f"{'all':<44} {total_wall / count * 1000:>8.2f} {total_cpu / count * 1000:>8.2f}")
    for label in labels:
        print(f"{label:<44} {wall[label] / count * 1000:>8.2f} {cpu[label] / count * 1000:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
