"""Seed PostgreSQL with N cases in the FY2021 mix, fast, with COPY.

    python -m bench.seed --n 1000000 --open 25000 --fresh

About 64 % single adults, 27 % members of family units (2-4 people sharing an apprehension
event and a family group number, at least one adult and one minor) and 9 % unaccompanied
children, spread over the nine Southwest Border sectors by their share of encounters. The
closed cases went booked -> submitted -> accepted -> transferred (or released), UACs through
an ORR placement to a care provider; the ``--open`` most recent cases are booked, submitted,
rejected or accepted, apprehended within the last 20 hours so that no warning is due yet.
Every case has its subject, its apprehension event, its legal clocks (stopped or running, as
the transitions left them) and one event-log row per transition, as the services would have
written them.

The rows are generated in one pass and streamed through five concurrent ``COPY`` streams
(one connection per table). The per-row foreign-key triggers are skipped while loading and
every reference of the new rows is checked afterwards with one anti-join per foreign key.
Field-level history (simple-history) is not seeded: nothing reads it at this size.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.common import (
    database_url,
    migrate,
    print_machine,
    raw_connect,
    recreate_database,
    setup_django,
    timed,
)

SECTOR_WEIGHTS = {
    "RGV": 25,
    "EPT": 18,
    "DRT": 16,
    "TCA": 12,
    "SDC": 10,
    "YUM": 7,
    "LRT": 5,
    "ELC": 4,
    "BBT": 3,
}
# FY2021 Southwest Border mix, as shares of people.
SINGLE_SHARE, FAMILY_SHARE, UAC_SHARE = 0.64, 0.27, 0.09
FAMILY_SIZES = (2, 3, 3, 4)  # mean 3
OPEN_STATES = (("booked", 0.30), ("submitted", 0.40), ("rejected", 0.10), ("accepted", 0.20))

FIRST_F = [
    "Ana",
    "María",
    "Lucía",
    "Rosa",
    "Carmen",
    "Sofía",
    "Valeria",
    "Gabriela",
    "Daniela",
    "Fernanda",
    "Marta",
    "Elena",
]
FIRST_M = [
    "José",
    "Luis",
    "Carlos",
    "Juan",
    "Miguel",
    "Jorge",
    "Kevin",
    "Brayan",
    "Óscar",
    "Mario",
    "Wilmer",
    "Edwin",
    "Darwin",
]
SURNAMES = [
    "López",
    "García",
    "Hernández",
    "Martínez",
    "Pérez",
    "Ramírez",
    "Cruz",
    "Morales",
    "Flores",
    "Gómez",
    "Díaz",
    "Reyes",
    "Vásquez",
    "Castillo",
    "Ortiz",
    "Aguilar",
    "Mejía",
    "Chávez",
    "Jiménez",
    "Rivera",
    "Ruiz",
    "Álvarez",
    "Mendoza",
    "Sánchez",
]
COUNTRIES = ("MX",) * 5 + ("GT",) * 3 + ("HN",) * 3 + ("SV", "NI", "EC", "VE", "CU", "CO", "BR")
CITIES = (
    ("Houston", "TX", "770"),
    ("Los Angeles", "CA", "900"),
    ("Miami", "FL", "331"),
    ("New York", "NY", "100"),
    ("Chicago", "IL", "606"),
    ("Atlanta", "GA", "303"),
    ("Denver", "CO", "802"),
    ("Phoenix", "AZ", "850"),
)
STREETS = ("Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Pine Rd", "Lakeview Blvd")
NARRATIVES = (
    "Subject was encountered {km} km west of the port of entry at about {h:02d}:00, walking "
    "north with a group; admitted entering without inspection; no documents.",
    "Subject turned themselves in to the patrol at the levee near marker {km}, declared "
    "fear of return, and was transported to the station for processing.",
    "Subject was apprehended by a sensor response team {km} km east of the station; "
    "identity documents were photographed and biometrics enrolled.",
)
REJECT_REASONS = ("missing_i213", "invalid_address", "criminal_history_incomplete")


@dataclass
class Reference:
    """Ids of the reference rows the generated data points at."""

    stations: dict[str, list[int]]
    sectors: dict[str, int]
    routes: dict[str, int]  # sector code -> AOR id
    aor_code: dict[int, str]
    facilities: dict[int, list[int]]  # AOR id -> detention facility ids
    care_providers: list[int]
    unit_code: dict[int, str]
    agents: dict[int, int]  # station id -> user id
    officers: dict[int, int]  # AOR id -> user id
    orr_user: int
    orr_unit: int
    policies: dict[str, int]


def prepare_reference() -> Reference:
    """Load the reference units and policies, and one agent per station, one ERO officer per
    AOR and an ORR intake user to act in the seeded history."""
    from cases.models import Role, SlaPolicy, Unit, UnitKind, User
    from cases.reference import load_reference

    load_reference()
    units = list(Unit.objects.all())
    by_id = {u.pk: u for u in units}
    stations: dict[str, list[int]] = {}
    sectors, routes = {}, {}
    for u in units:
        if u.kind == UnitKind.SECTOR:
            sectors[u.code] = u.pk
            routes[u.code] = u.routes_to_id
        if u.kind == UnitKind.STATION:
            stations.setdefault(by_id[u.parent_id].code, []).append(u.pk)
    facilities: dict[int, list[int]] = {}
    for u in units:
        if u.kind == UnitKind.DETENTION_FACILITY:
            facilities.setdefault(u.parent_id, []).append(u.pk)
    wanted = []
    for u in units:
        if u.kind == UnitKind.STATION:
            wanted.append((f"bench_agent_{u.code.lower()}", Role.USBP_AGENT, u))
        elif u.kind == UnitKind.AOR:
            wanted.append((f"bench_ero_{u.code.lower()}", Role.ERO_OFFICER, u))
        elif u.kind == UnitKind.ORR_INTAKE:
            wanted.append(("bench_orr", Role.ORR_INTAKE, u))
    existing = set(
        User.objects.filter(username__startswith="bench_").values_list("username", flat=True)
    )
    new = []
    for username, role, unit in wanted:
        if username not in existing:
            user = User(
                username=username, role=role, unit=unit, first_name="Bench", last_name=unit.code
            )
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new)
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
    orr = users["bench_orr"]
    return Reference(
        stations=stations,
        sectors=sectors,
        routes=routes,
        aor_code={u.pk: u.code for u in units if u.kind == UnitKind.AOR},
        facilities=facilities,
        care_providers=[u.pk for u in units if u.kind == UnitKind.CARE_PROVIDER],
        unit_code={u.pk: u.code for u in units},
        agents={u.unit_id: u.pk for u in users.values() if u.role == Role.USBP_AGENT},
        officers={u.unit_id: u.pk for u in users.values() if u.role == Role.ERO_OFFICER},
        orr_user=orr.pk,
        orr_unit=orr.unit_id,
        policies={p.name: p.pk for p in SlaPolicy.objects.all()},
    )


class Table:
    """One COPY stream: the columns the generator fills, then every other column of the
    model at its default (so a field added later by a migration does not break the seed)."""

    def __init__(self, model, known: list[str]):
        from django.db.models import JSONField

        self.model = model
        self.name = model._meta.db_table
        columns = {f.column: f for f in model._meta.concrete_fields}
        missing = [c for c in known if c not in columns]
        if missing:
            raise SystemExit(f"{self.name} has no column(s) {missing}: update bench/seed.py")
        extra, defaults = [], []
        for column, f in columns.items():
            if column in known:
                continue
            value = f.get_default() if f.has_default() else None
            if value is None and not f.null:
                raise SystemExit(f"{self.name}.{column} needs a value: update bench/seed.py")
            if isinstance(f, JSONField) and value is not None:
                value = json.dumps(value)
            extra.append(column)
            defaults.append(value)
        self.columns = known + extra
        self.defaults = tuple(defaults)
        self.next_id = 1
        self.count = 0
        self.copy = None

    def sql(self) -> str:
        return f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN"

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def write(self, row: tuple) -> None:
        self.copy.write_row(row + self.defaults if self.defaults else row)
        self.count += 1


@dataclass
class Plan:
    n: int
    open: int
    open_states: tuple = OPEN_STATES
    # Give open UACs their ORR care provider already (the transition benchmark transfers them).
    designate_open_uac: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    seed: int = 2021


class Seeder:
    def __init__(self, ref: Reference, plan: Plan):
        from cases.models import ApprehensionEvent, Case, EventLogEntry, SlaClock, Subject

        self.ref, self.plan = ref, plan
        self.rng = random.Random(plan.seed)
        self.events = Table(
            ApprehensionEvent, ["id", "event_number", "station_id", "apprehended_at", "created_at"]
        )
        self.subjects = Table(
            Subject,
            [
                "id",
                "first_name",
                "last_name",
                "second_last_name",
                "date_of_birth",
                "sex",
                "country_of_citizenship",
                "a_number",
                "apprehended_at",
            ],
        )
        self.cases = Table(
            Case,
            [
                "id",
                "case_number",
                "subject_id",
                "event_id",
                "demographic",
                "family_group_number",
                "station_id",
                "sector_id",
                "routed_to_id",
                "custody_unit_id",
                "designated_provider_id",
                "state",
                "narrative",
                "submissions",
                "last_rejection_reasons",
                "last_rejection_comment",
                "release_type",
                "release_address",
                "release_address_key",
                "booked_by_id",
                "last_submitted_by_id",
                "booked_at",
                "closed_at",
                "updated_at",
            ],
        )
        self.clocks = Table(
            SlaClock,
            [
                "id",
                "case_id",
                "policy_id",
                "started_at",
                "due_at",
                "extended_due_at",
                "effective_due_at",
                "next_check_at",
                "warnings_sent",
                "warned_at",
                "breached_at",
                "stopped_at",
                "status",
            ],
        )
        self.log = Table(
            EventLogEntry,
            [
                "id",
                "event_type",
                "case_id",
                "transition",
                "from_state",
                "to_state",
                "actor_id",
                "actor_role",
                "actor_unit_id",
                "reason",
                "payload",
                "request_id",
                "occurred_at",
            ],
        )
        # Foreign-key order: the commit of each stream checks the rows before it.
        self.tables = [self.events, self.subjects, self.cases, self.clocks, self.log]
        sectors = list(SECTOR_WEIGHTS)
        self.sector_cycle = self.rng.choices(
            sectors, weights=[SECTOR_WEIGHTS[s] for s in sectors], k=4096
        )
        self.p = ref.policies

    # --- rows ------------------------------------------------------------------------------

    def start_ids(self, conn) -> None:
        for t in self.tables:
            t.next_id = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {t.name}").fetchone()[0]

    def person(self, sex: str, age: int, at: datetime, surname: str | None = None):
        rng = self.rng
        first = rng.choice(FIRST_F if sex == "F" else FIRST_M)
        last = surname or rng.choice(SURNAMES)
        second = rng.choice(SURNAMES) if rng.random() < 0.8 else ""
        # Exactly ``age`` on the day: the birthday ``age`` calendar years back (leap days
        # counted), then 2-360 days earlier, so no local-day shift makes an adult 17.
        day = at.date()
        anniversary = day.replace(
            year=day.year - age, day=min(day.day, 28) if day.month == 2 else day.day
        )
        born = anniversary - timedelta(days=rng.randrange(2, 360))
        return first, last, second, born

    def event_row(
        self,
        *,
        case_id,
        event_type,
        transition,
        from_state,
        to_state,
        actor,
        role,
        unit,
        at,
        payload=None,
        reason="",
    ):
        self.log.write(
            (
                self.log.take_id(),
                event_type,
                case_id,
                transition,
                from_state,
                to_state,
                actor,
                role,
                unit,
                reason,
                json.dumps(payload or {}),
                "",
                at,
            )
        )

    def clock(
        self,
        *,
        case_id,
        policy,
        started,
        hours,
        stopped=None,
        warnings=(),
        warned_at=None,
        next_check=None,
    ):
        due = started + timedelta(hours=hours)
        if stopped is None:
            next_check = next_check or started + timedelta(hours=hours * 0.5)
        self.clocks.write(
            (
                self.clocks.take_id(),
                case_id,
                self.p[policy],
                started,
                due,
                None,
                due,
                None if stopped else next_check,
                json.dumps(list(warnings)),
                warned_at,
                None,
                stopped,
                "running" if stopped is None else "met",
            )
        )

    # --- one apprehension event ------------------------------------------------------------

    def apprehension(self, *, kind: str, size: int, is_open: bool, at: datetime):
        rng, ref = self.rng, self.ref
        sector = self.sector_cycle[self.events.next_id % len(self.sector_cycle)]
        station = rng.choice(ref.stations[sector])
        aor = ref.routes[sector]
        event_id = self.events.take_id()
        event_number = f"{sector}{at:%y%m%d}{event_id:07d}"
        self.events.write((event_id, event_number, station, at, at))
        fgn = f"{sector}{event_id:010d}" if kind == "family_unit" else ""
        family_surname = rng.choice(SURNAMES)
        country = rng.choice(COUNTRIES)
        for member in range(size):
            if kind == "uac":
                sex, age = rng.choice("FM"), rng.randrange(10, 18)
            elif kind == "family_unit":
                sex = rng.choice("FM")
                age = rng.randrange(22, 45) if member == 0 else rng.randrange(1, 17)
            else:
                sex, age = rng.choice("MMMF"), rng.randrange(18, 50)
            self.one_case(
                kind=kind,
                sector=sector,
                station=station,
                aor=aor,
                event_id=event_id,
                number=f"{event_number}-{member + 1:02d}",
                fgn=fgn,
                person=self.person(sex, age, at, family_surname if kind == "family_unit" else None),
                sex=sex,
                country=country if kind == "family_unit" else rng.choice(COUNTRIES),
                at=at,
                is_open=is_open,
            )

    def one_case(
        self,
        *,
        kind,
        sector,
        station,
        aor,
        event_id,
        number,
        fgn,
        person,
        sex,
        country,
        at,
        is_open,
    ):
        rng, ref = self.rng, self.ref
        case_id, subject_id = self.cases.take_id(), self.subjects.take_id()
        first, last, second, born = person
        a_number = f"{rng.randrange(10**8, 10**9)}" if (not is_open or rng.random() < 0.5) else ""
        self.subjects.write((subject_id, first, last, second, born, sex, country, a_number, at))
        agent = ref.agents[station]
        officer = ref.officers[aor]
        h = timedelta(hours=1)
        booked = at + h * rng.uniform(0.5, 3)
        narrative = rng.choice(NARRATIVES).format(km=rng.randrange(2, 60), h=at.hour)
        booked_payload = {
            "demographic": kind,
            "station": ref.unit_code[station],
            "routed_to": ref.aor_code[aor],
        }

        def ev(
            event_type,
            transition,
            frm,
            to,
            when,
            *,
            actor=agent,
            role="usbp_agent",
            unit=station,
            payload=None,
            reason="",
        ):
            self.event_row(
                case_id=case_id,
                event_type=event_type,
                transition=transition,
                from_state=frm,
                to_state=to,
                actor=actor,
                role=role,
                unit=unit,
                at=when,
                payload=payload,
                reason=reason,
            )

        ev("case.booked", "book", "", "booked", booked, payload=booked_payload)
        state, submissions, reasons, comment = "booked", 0, [], ""
        custody, designated, closed = station, None, None
        release_type, address, address_key = "", None, ""
        submitted = accepted = left = None
        placement_requested = designated_at = None
        if is_open:
            roll, state = rng.random(), "accepted"
            for name, share in self.plan.open_states:
                if roll < share:
                    state = name
                    break
                roll -= share
        else:
            state = "closed"
        if kind == "uac" and state in ("closed",):
            placement_requested = booked + h * rng.uniform(0.5, 5)
            designated_at = placement_requested + h * rng.uniform(1, 10)
            ev("placement.requested", "", "", "", placement_requested, payload={"needs": {}})
            designated = rng.choice(ref.care_providers)
            ev(
                "placement.designated",
                "",
                "",
                "",
                designated_at,
                actor=ref.orr_user,
                role="orr_intake",
                unit=ref.orr_unit,
                payload={"facility": ref.unit_code[designated]},
            )
        if kind == "uac" and state == "booked" and self.plan.designate_open_uac:
            designated = rng.choice(ref.care_providers)
        if state != "booked":
            submitted = max(booked, designated_at or booked) + h * rng.uniform(0.5, 4)
            submissions = 1
            ev(
                "case.submitted",
                "submit",
                "booked",
                "submitted",
                submitted,
                payload={
                    "submission": 1,
                    "routed_to": ref.aor_code[aor],
                    "acknowledged_warnings": [],
                },
            )
        if state == "rejected":
            reasons = [rng.choice(REJECT_REASONS)]
            comment = "Please complete the packet."
            ev(
                "case.rejected",
                "reject",
                "submitted",
                "rejected",
                submitted + h * rng.uniform(0.5, 3),
                actor=officer,
                role="ero_officer",
                unit=aor,
                payload={"reasons": reasons, "submission": 1},
                reason=comment,
            )
        if state in ("accepted", "closed"):
            accepted = submitted + h * rng.uniform(0.5, 8)
            ev(
                "case.accepted",
                "accept",
                "submitted",
                "accepted",
                accepted,
                actor=officer,
                role="ero_officer",
                unit=aor,
            )
        if state == "closed":
            left = accepted + h * rng.uniform(1, 10)
            released = kind != "uac" and rng.random() < (0.8 if kind == "family_unit" else 0.35)
            if released:
                city, st, zip3 = rng.choice(CITIES)
                address = {
                    "street": f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}",
                    "city": city,
                    "state": st,
                    "zip": f"{zip3}{rng.randrange(10, 99)}",
                }
                address_key = " ".join(address.values()).upper()
                release_type = rng.choice(("ror", "parole"))
                ev(
                    "case.released",
                    "release",
                    "accepted",
                    "released",
                    left,
                    actor=officer,
                    role="ero_officer",
                    unit=aor,
                    payload={
                        "release_type": release_type,
                        "address": address,
                        "acknowledged_warnings": [],
                    },
                )
                state = "released"
            else:
                to = designated if kind == "uac" else rng.choice(ref.facilities[aor])
                ev(
                    "case.transferred",
                    "transfer",
                    "accepted",
                    "transferred",
                    left,
                    actor=officer,
                    role="ero_officer",
                    unit=aor,
                    payload={
                        "from_unit": ref.unit_code[station],
                        "to_unit": ref.unit_code[to],
                        "to_kind": "care_provider" if kind == "uac" else "detention_facility",
                    },
                )
                custody = to
                state = "transferred"
            closed = left
        # Clocks, as the transitions left them (all met: the seeded history has no breaches).
        self.clock(
            case_id=case_id,
            policy="custody_determination",
            started=at,
            hours=48,
            stopped=accepted,
        )
        self.clock(case_id=case_id, policy="usbp_custody", started=at, hours=72, stopped=left)
        if kind == "uac":
            self.clock(
                case_id=case_id,
                policy="uac_placement_request",
                started=at,
                hours=48,
                stopped=placement_requested,
            )
            if placement_requested:
                self.clock(
                    case_id=case_id,
                    policy="orr_placement_answer",
                    started=placement_requested,
                    hours=24,
                    stopped=designated_at,
                )
            self.clock(case_id=case_id, policy="uac_transfer", started=at, hours=72, stopped=left)
        last = closed or accepted or submitted or booked
        self.cases.write(
            (
                case_id,
                number,
                subject_id,
                event_id,
                kind,
                fgn,
                station,
                self.ref.sectors[sector],
                aor,
                custody,
                designated,
                state,
                narrative,
                submissions,
                json.dumps(reasons),
                comment,
                release_type,
                json.dumps(address) if address else None,
                address_key,
                agent,
                agent if submissions else None,
                booked,
                closed,
                last,
            )
        )

    # --- the whole run ---------------------------------------------------------------------

    def run(self, url: str) -> dict[str, int]:
        plan, rng = self.plan, self.rng
        kinds = ("single_adult", "family_unit", "uac")
        # Weights per apprehension event so that the shares of *people* match the mix.
        weights = (SINGLE_SHARE, FAMILY_SHARE / (sum(FAMILY_SIZES) / len(FAMILY_SIZES)), UAC_SHARE)
        closed_n = plan.n - plan.open
        year = timedelta(days=365)
        self.started = time.perf_counter()
        conns = [raw_connect(url) for _ in self.tables]
        try:
            self.start_ids(conns[0])
            self.first_case = self.cases.next_id
            copies = []
            for conn, table in zip(conns, self.tables, strict=True):
                conn.execute("SET synchronous_commit = off")
                # Bulk load: skip the per-row foreign-key triggers; verify() checks the same
                # references afterwards with one anti-join each, which is far cheaper.
                conn.execute("SET session_replication_role = replica")
                copies.append(conn.cursor().copy(table.sql()))
            for copy, table in zip(copies, self.tables, strict=True):
                table.copy = copy.__enter__()
            made = 0
            while made < plan.n:
                kind = rng.choices(kinds, weights=weights)[0]
                size = rng.choice(FAMILY_SIZES) if kind == "family_unit" else 1
                is_open = made >= closed_n
                if is_open:
                    done = made - closed_n
                    at = plan.now - timedelta(hours=20) + timedelta(hours=19.5) * done / plan.open
                else:
                    at = plan.now - year + (year - timedelta(days=3)) * made / closed_n
                size = min(size, plan.n - made)
                if kind == "family_unit" and size < 2:
                    kind = "single_adult"
                self.apprehension(kind=kind, size=size, is_open=is_open, at=at)
                made += size
                if made % 100_000 < size:
                    print(f"    {made:,} cases", flush=True)
            generated = time.perf_counter()
            for copy in copies:
                copy.__exit__(None, None, None)
            print(f"    generated and streamed in {generated - self.started:.1f} s", flush=True)
            for conn, table in zip(conns, self.tables, strict=True):
                conn.commit()
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
                conn.commit()
            print(f"    committed in {time.perf_counter() - generated:.1f} s", flush=True)
        finally:
            for conn in conns:
                conn.close()
        return {t.name: t.count for t in self.tables}

    def drop_secondary_indexes(self, url: str) -> list[str]:
        """On empty tables, drop every index but the primary keys and return the statements
        that rebuild them: building an index once, sorted, beats maintaining it per row."""
        names = [t.name for t in self.tables]
        restore: list[str] = []
        with raw_connect(url) as conn:
            if any(conn.execute(f"SELECT EXISTS (SELECT 1 FROM {n})").fetchone()[0] for n in names):
                return restore
            constraints = conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
                (names,),
            ).fetchall()
            indexes = conn.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
                "AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                (names,),
            ).fetchall()
            for table, name, definition in constraints:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, definition in indexes:
                conn.execute(f"DROP INDEX {name}")
                restore.append(definition)
            conn.commit()
        return restore

    def rebuild_indexes(self, url: str, statements: list[str]) -> None:
        with raw_connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '256MB'")
            for statement in statements:
                conn.execute(statement)

    def verify(self, url: str) -> None:
        """Every foreign key of the rows just loaded points at an existing row."""
        problems = []
        with raw_connect(url) as conn:
            for table in self.tables:
                first = table.next_id - table.count
                for f in table.model._meta.concrete_fields:
                    if not f.is_relation:
                        continue
                    parent = f.related_model._meta
                    orphans = conn.execute(
                        f"SELECT count(*) FROM {table.name} c LEFT JOIN {parent.db_table} p "
                        f"ON p.{parent.pk.column} = c.{f.column} "
                        f"WHERE c.id >= %s AND c.{f.column} IS NOT NULL "
                        f"AND p.{parent.pk.column} IS NULL",
                        (first,),
                    ).fetchone()[0]
                    if orphans:
                        problems.append(f"{table.name}.{f.column}: {orphans} dangling")
        if problems:
            raise SystemExit("seed produced dangling references: " + "; ".join(problems))


def seed(
    *,
    plan_options: dict | None = None,
    settings_module: str = "config.settings",
    url: str,
    n: int,
    open_cases: int,
    fresh: bool = False,
) -> dict:
    """Seed ``n`` cases (as the command does) and return the timings and row counts."""
    timings: dict[str, float] = {}
    if fresh:
        with timed("create database and migrate", timings):
            recreate_database(url)
            setup_django(url, settings_module)
            migrate()
    else:
        setup_django(url, settings_module)
    with timed("reference data and bench users", timings):
        ref = prepare_reference()
    plan = Plan(n=n, open=min(open_cases, n), **(plan_options or {}))
    seeder = Seeder(ref, plan)
    restore = seeder.drop_secondary_indexes(url)
    with timed("generate and COPY", timings):
        counts = seeder.run(url)
    if restore:
        with timed(f"rebuild {len(restore)} secondary indexes", timings):
            seeder.rebuild_indexes(url, restore)
    with timed("verify foreign keys", timings):
        seeder.verify(url)
    # VACUUM as well as ANALYZE: what autovacuum does to a table that has taken its rows, so
    # that the benchmarks meet the steady state of a running database (visibility map set
    # for index-only scans, hint bits written), not the first reads after a bulk load.
    with timed("VACUUM ANALYZE", timings), raw_connect(url, autocommit=True) as conn:
        for table in seeder.tables:
            conn.execute(f"VACUUM (ANALYZE) {table.name}")
    return {"timings": timings, "counts": counts, "first_case": seeder.first_case}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases (default 1,000,000)")
    parser.add_argument("--open", type=int, default=25_000, help="open cases (default 25,000)")
    parser.add_argument("--db", default="cas_bench", help="database when DATABASE_URL is unset")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = database_url(args.db)
    print(f"seed: {args.n:,} cases ({args.open:,} open) into {url.rsplit('/', 1)[-1]}", flush=True)
    start = time.perf_counter()
    result = seed(
        url=url,
        n=args.n,
        open_cases=args.open,
        fresh=args.fresh,
    )
    total = time.perf_counter() - start
    rows = sum(result["counts"].values())
    print_machine(url)
    for name, count in result["counts"].items():
        print(f"  {name}: {count:,} rows")
    copy_s = result["timings"]["generate and COPY"]
    print(
        f"seeded {args.n:,} cases, {rows:,} rows in {total:.1f} s "
        f"({rows / copy_s:,.0f} rows/s while copying)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
