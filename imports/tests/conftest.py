"""The sample tracker's council: its teams and staff, as the demo council has them."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from accounts.tests.factories import TeamFactory, UserFactory
from imports.sample import CENTRAL, NORTH, SOUTH

SAMPLE_STAFF = [
    ("priya.lakhani", "Priya", "Lakhani", Role.SOCIAL_WORKER, NORTH),
    ("joe.hartigan", "Joe", "Hartigan", Role.SOCIAL_WORKER, NORTH),
    ("tara.manager", "Tara", "Pemberton", Role.TEAM_MANAGER, NORTH),
    ("hannah.greaves", "Hannah", "Greaves", Role.SOCIAL_WORKER, CENTRAL),
    ("tomasz.wilk", "Tomasz", "Wilk", Role.SOCIAL_WORKER, CENTRAL),
    ("fatima.begum", "Fatima", "Begum", Role.SOCIAL_WORKER, CENTRAL),
    ("marcus.adebayo", "Marcus", "Adebayo", Role.TEAM_MANAGER, CENTRAL),
    ("ayesha.qureshi", "Ayesha", "Qureshi", Role.SOCIAL_WORKER, SOUTH),
    ("callum.reid", "Callum", "Reid", Role.SOCIAL_WORKER, SOUTH),
    ("rhiannon.pugh", "Rhiannon", "Pugh", Role.SOCIAL_WORKER, SOUTH),
    ("gareth.pryce", "Gareth", "Pryce", Role.TEAM_MANAGER, SOUTH),
]


@pytest.fixture
def council(db: Any) -> dict[str, Any]:
    """The three teams and the staff the sample tracker names, and a CLO who imports it."""
    teams = {name: TeamFactory(name=name) for name in (NORTH, CENTRAL, SOUTH)}
    people: dict[str, Any] = {}
    for username, first, last, role, team in SAMPLE_STAFF:
        people[username] = UserFactory(
            username=username, first_name=first, last_name=last, roles=[role], team=teams[team]
        )
    people["clo"] = UserFactory(
        username="clara.clo", first_name="Clara", last_name="Ashdown", roles=[Role.COURT_LIAISON_OFFICER], team=None
    )
    return {"teams": teams, "people": people}


@pytest.fixture
def demo_staff(db: Any) -> dict[str, Any]:
    """The demo council's teams and staff, exactly as `manage.py demo_data` makes them (the staff
    sample, docs/sample-staff.csv, is written against them). `ada.admin` is the administrator."""
    import datetime as dt

    from cases.demo import _Builder

    builder = _Builder(today=dt.date(2026, 12, 1), seed=1)
    builder.build_staff()
    return builder.staff
