"""Locust users for `bench/topology.py`: a working day's mix of a large children's service.

Four kinds of staff, each signed in already (run.py-style sign-ins are measured by
bench/load/run.py; here the 300-odd sessions are made by bench/topology.py before the load, so
PBKDF2 does not swamp the first minute):

* social workers open their cases ("My cases", a family's case page) and record review meetings
  through the real form: GET it, send back its CSRF and one-time tokens, POST, follow the redirect;
* team managers read their team dashboard, their alerts, and a case page in their team;
* court liaison officers read the pre-action tracker, filtered to a team, its printout and its
  XLSX export;
* a head of service reads the weekly tracker and the home page.

Every save carries a unique token in its attendees. A save that fails (an error answer or a
dropped connection, as during a fault) is sent again with the same form (the same one-time
token) for up to 30 s: the product must save it once and answer "already saved". Each token the
server acknowledged (302) is written to PLO_TOPO_SAVED, so bench/topology.py can check it is in
the database exactly once. Every request is written to PLO_TOPO_LOG (time, page, ms, ok, status)
for the per-page percentiles and the failures in each fault's window.

The mix (class weights) and think time come from PLO_TOPO_WEIGHTS ("sw=12,tm=4,clo=2,hos=1")
and PLO_TOPO_WAIT ("1,3" seconds); the fixture (sessions, families, teams) from PLO_TOPO_FIXTURE.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task

FIXTURE = json.loads(Path(os.environ["PLO_TOPO_FIXTURE"]).read_text())
SAVED = os.environ["PLO_TOPO_SAVED"]
LOG = open(os.environ["PLO_TOPO_LOG"], "a", buffering=1 << 16)  # noqa: SIM115  (closed at quit)
_MIX = os.environ.get("PLO_TOPO_WEIGHTS", "sw=12,tm=4,clo=2,hos=1")
WEIGHTS = {k: int(v) for k, v in (p.split("=") for p in _MIX.split(","))}
WAIT = [float(x) for x in os.environ.get("PLO_TOPO_WAIT", "1,3").split(",")]
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')
ERROR = re.compile(r"govuk-error-summary__list.*?<a[^>]*>(.*?)</a>", re.S)
RETRY_FOR_S = 30


@events.request.add_listener
def _log(name: str, response_time: float, exception: Any, response: Any = None, **kwargs: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    LOG.write(f"{time.time():.3f},{name},{response_time:.1f},{0 if exception else 1},{status}\n")


@events.quitting.add_listener
def _close(**kwargs: Any) -> None:
    LOG.flush()


def date_fields(prefix: str, value: dt.date) -> dict[str, str]:
    return {f"{prefix}_0": str(value.day), f"{prefix}_1": str(value.month), f"{prefix}_2": str(value.year)}


class Staff(HttpUser):
    abstract = True
    wait_time = between(*WAIT)
    kind = ""

    def on_start(self) -> None:
        self.person = random.choice(FIXTURE[self.kind])
        self.client.cookies.set(FIXTURE["cookie_name"], self.person["session"])
        # Staff at work are not in step: each starts at a random point of their own rhythm, not
        # all with a request the moment they are spawned (300 staff spawned in 15 s would
        # otherwise ask for 20 pages a second at first, twice the busy hour's rate).
        gevent.sleep(random.uniform(0, WAIT[1]))

    def page(self, url: str, name: str) -> Any:
        """GET a page; a failure unless it answers 200 without sending the person to sign in."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"answered {response.status_code}")
            elif "/accounts/sign-in/" in response.url:
                response.failure("sent to sign in")
            return response


class SocialWorker(Staff):
    weight = WEIGHTS.get("sw", 0)
    kind = "social_workers"

    @task(2)
    def my_cases(self) -> None:
        self.page("/cases/mine/", "my cases (SW)")

    @task(5)
    def case_page(self) -> None:
        family = random.choice(self.person["families"])
        self.page(f"/cases/families/{family}/", "case page (SW)")

    @task(1)
    def record_a_meeting(self) -> None:
        if not self.person["episodes"]:
            return
        episode = random.choice(self.person["episodes"])
        url = f"/meetings/episodes/{episode['episode']}/meetings/add/?kind=review_meeting"
        form = self.page(url, "meeting form (SW)")
        if form.status_code != 200 or "/accounts/sign-in/" in form.url:
            return
        today = dt.date.fromisoformat(FIXTURE["today"])
        token = uuid.uuid4().hex[:16]
        data = {
            **dict(HIDDEN.findall(form.text)),
            "attendees": f"Parents, their solicitors, team manager [load {token}]",
        }
        if episode["initial_held"]:
            data |= date_fields("held_on", today)
        else:
            data |= date_fields("scheduled_for", today + dt.timedelta(days=28))
        until = time.monotonic() + RETRY_FOR_S
        attempt = 0
        while True:
            attempt += 1
            name = "record a meeting (POST)" if attempt == 1 else "record a meeting (POST, sent again)"
            try:
                with self.client.post(
                    url, data=data, name=name, allow_redirects=False, catch_response=True
                ) as response:
                    if response.status_code == 302:
                        break
                    if response.status_code == 200:  # the form came back with errors: not a fault
                        response.failure(f"form errors: {ERROR.findall(response.text)[:2]}")
                        return
                    response.failure(f"save answered {response.status_code}")
            except Exception:  # noqa: S110  (a dropped connection: logged by locust as a failure)
                pass
            if time.monotonic() > until:
                return
            time.sleep(1)
        with open(SAVED, "a") as saved:
            saved.write(token + "\n")
        self.page(response.headers["Location"], "case page after saving (SW)")


class TeamManager(Staff):
    weight = WEIGHTS.get("tm", 0)
    kind = "team_managers"

    @task(3)
    def dashboard(self) -> None:
        self.page("/deadlines/team/", "team dashboard (TM)")

    @task(2)
    def alerts(self) -> None:
        self.page("/deadlines/alerts/", "alerts (TM)")

    @task(2)
    def case_page(self) -> None:
        family = random.choice(self.person["families"])
        self.page(f"/cases/families/{family}/", "case page (TM)")


class CourtLiaisonOfficer(Staff):
    weight = WEIGHTS.get("clo", 0)
    kind = "clos"

    @task(3)
    def tracker(self) -> None:
        self.page("/deadlines/tracker/", "tracker (CLO)")

    @task(3)
    def tracker_filtered(self) -> None:
        team = random.choice(FIXTURE["teams"])
        self.page(f"/deadlines/tracker/?team={team}&stage=pre_proceedings", "tracker filtered to a team (CLO)")

    @task(1)
    def printout(self) -> None:
        self.page("/deadlines/tracker/print/", "tracker printout (CLO)")

    @task(1)
    def export(self) -> None:
        self.page("/deadlines/tracker/export.xlsx", "tracker XLSX export (CLO)")


class HeadOfService(Staff):
    weight = WEIGHTS.get("hos", 0)
    kind = "heads_of_service"

    @task(2)
    def weekly(self) -> None:
        self.page("/deadlines/weekly/", "weekly tracker (HoS)")

    @task(1)
    def home(self) -> None:
        self.page("/", "home (HoS)")
