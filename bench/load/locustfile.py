"""Locust users for `bench/load/run.py`: staff who sign in, read the tracker and case pages, and record meetings.

Each simulated user signs in once through the real sign-in form (a court liaison officer, business
support or a service manager from the demo council: roles that see every family, the tracker, and
may record meetings), then, with 1-3 s of thinking between actions, reads the pre-action tracker,
opens a case page, or records a pre-proceedings meeting through the real form: GET the form, send
back its CSRF token and hidden fields, POST, and follow the redirect to the case page. A save that
does not answer 302 is a failure; each acknowledged save's token is written to PLO_LOAD_SAVED so
run.py can check every one is in the database. The fixture (families and episodes to use, the
password) comes from run.py through PLO_LOAD_FIXTURE.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, task

FIXTURE = json.loads(Path(os.environ["PLO_LOAD_FIXTURE"]).read_text())
SAVED = os.environ["PLO_LOAD_SAVED"]  # one line per save the server acknowledged (302)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')
ERROR = re.compile(r"govuk-error-summary__list.*?<a[^>]*>(.*?)</a>", re.S)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def date_fields(prefix: str, value: dt.date) -> dict[str, str]:
    return {f"{prefix}_0": str(value.day), f"{prefix}_1": str(value.month), f"{prefix}_2": str(value.year)}


class Staff(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = random.choice(FIXTURE["usernames"])
        page = self.client.get("/accounts/sign-in/", name="sign-in page")
        data = {**hidden_fields(page.text), "username": self.username, "password": FIXTURE["password"]}
        with self.client.post(
            "/accounts/sign-in/", data=data, name="sign in", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")

    @task(3)
    def tracker(self) -> None:
        self.client.get("/deadlines/tracker/", name="tracker")

    @task(5)
    def case_page(self) -> None:
        family = random.choice(FIXTURE["families"])
        self.client.get(f"/cases/families/{family}/", name="case page")

    @task(1)
    def record_a_meeting(self) -> None:
        episode = random.choice(FIXTURE["episodes"])
        url = f"/meetings/episodes/{episode['episode']}/meetings/add/?kind=review_meeting"
        form = self.client.get(url, name="meeting form")
        if form.status_code != 200:
            return
        today = dt.date.fromisoformat(FIXTURE["today"])
        token = uuid.uuid4().hex[:16]  # ties this save to its row, to check nothing acknowledged is lost
        attendees = f"Parents and their solicitors, team manager (chair) [load {token}]"
        data = {**hidden_fields(form.text), "attendees": attendees}
        if episode["initial_held"]:  # a review meeting held today, with its minutes to follow
            data |= date_fields("held_on", today)
        else:  # the initial meeting is not held yet: book the review
            data |= date_fields("scheduled_for", today + dt.timedelta(days=28))
        with self.client.post(
            url, data=data, name="record a meeting", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                errors = ERROR.findall(response.text)
                response.failure(f"save answered {response.status_code}: {errors[:2]}")
                return
        with open(SAVED, "a") as saved:
            saved.write(token + "\n")
        self.client.get(response.headers["Location"], name="case page (after saving)")
