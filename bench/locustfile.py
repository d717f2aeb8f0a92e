"""The load of ``bench/api_load.py``: Border Patrol agents and ERO officers at work.

Agents book new cases, submit booked ones and open case details; officers read their queue
(the ERO AOR's submitted cases, nearest due first), open case details and accept. Every
user works with its own API token; the case ids to act on come from ``BENCH_API_POOL`` (a
JSON file written by api_load.py) and each is taken by one user only, so that no request
loses a race: every non-2xx answer counts as an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta

from locust import FastHttpUser, between, task

POOL = json.loads(open(os.environ["BENCH_API_POOL"]).read())  # noqa: SIM115
WAIT = float(os.environ.get("BENCH_API_WAIT", "0.5"))
_agent_ids = itertools.count()
_officer_ids = itertools.count()
_event_seq = itertools.count(1)
RUN = int(time.time()) % 10**8  # event numbers unique across runs
FIRST = ["Ana", "José", "María", "Luis", "Rosa", "Kevin", "Sofía", "Wilmer"]
LAST = ["López", "García", "Hernández", "Pérez", "Ramírez", "Cruz", "Morales", "Díaz"]


class _Worker(FastHttpUser):
    abstract = True
    wait_time = between(WAIT * 0.5, WAIT * 1.5)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.identity['token']}"}

    def detail(self, pool: list[int]) -> None:
        case_id = random.choice(pool)
        self.client.get(f"/api/v1/cases/{case_id}/", headers=self.headers(), name="case detail")


class Agent(_Worker):
    """A USBP agent at one of the stations routed to the officers' AOR."""

    weight = 1

    def on_start(self) -> None:
        agents = POOL["agents"]
        self.identity = agents[next(_agent_ids) % len(agents)]

    @task(2)
    def book(self) -> None:
        n = next(_event_seq)
        now = datetime.now(UTC)
        body = {
            "subject": {
                "first_name": random.choice(FIRST),
                "last_name": random.choice(LAST),
                "second_last_name": random.choice(LAST),
                "date_of_birth": "1990-05-17",
                "sex": random.choice("FM"),
                "country_of_citizenship": random.choice(["MX", "GT", "HN", "SV"]),
            },
            "event_number": f"{self.identity['sector']}{RUN:08d}{n:06d}",
            "apprehended_at": (now - timedelta(hours=2)).isoformat(),
            "demographic": "single_adult",
            "family_group_number": None,
            "station": self.identity["station"],
        }
        self.client.post("/api/v1/cases/", json=body, headers=self.headers(), name="booking")

    @task(2)
    def submit(self) -> None:
        booked = POOL["booked"].get(self.identity["station"]) or []
        if not booked:
            return
        case_id = booked.pop()
        response = self.client.post(
            f"/api/v1/cases/{case_id}/submit/",
            json={"acknowledge_warnings": True},
            headers=self.headers(),
            name="submit",
        )
        if response.status_code == 200:
            POOL["submitted"].append(case_id)

    @task(3)
    def read(self) -> None:
        self.detail(POOL["agent_detail"][self.identity["station"]])


class Officer(_Worker):
    """An ERO officer of the AOR: works the queue."""

    weight = 1

    def on_start(self) -> None:
        officers = POOL["officers"]
        self.identity = officers[next(_officer_ids) % len(officers)]

    @task(3)
    def queue(self) -> None:
        self.client.get(
            f"/api/v1/cases/?state=submitted&routed_to={self.identity['aor']}",
            headers=self.headers(),
            name="ERO queue",
        )

    @task(3)
    def read(self) -> None:
        self.detail(POOL["officer_detail"])

    @task(2)
    def accept(self) -> None:
        if not POOL["submitted"]:
            return
        case_id = POOL["submitted"].pop(0)
        self.client.post(
            f"/api/v1/cases/{case_id}/accept/",
            json={"comment": ""},
            headers=self.headers(),
            name="accept",
        )
