"""Loading the demo: refused if it would collide with records already there, else one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pghistory
from django.db import connection, transaction

from accounts.models import Team, User
from cases.models import Family
from deadlines.services import deadlines_recompute_deferred

from .builder import _Builder
from .staff import ALL_STAFF, team_names
from .summary import DEFAULT_SEED, DemoSummary

# Serialises concurrent loads (two `make run`s at once) so the emptiness check cannot race.
_LOCK_KEY = 72_656_110


class DemoNotLoaded(Exception):
    """The database already holds records the demo would duplicate or collide with."""


def demo_blockers() -> list[str]:
    """Why the demo cannot be loaded into this database (empty when it can)."""
    if Family.objects.exists():
        return ["the database already has families"]  # the usual case: say just that
    reasons = []
    taken = sorted(User.objects.filter(username__in=[s.username for s in ALL_STAFF]).values_list("username", flat=True))
    if taken:
        reasons.append(f"staff accounts with the demo usernames already exist ({', '.join(taken)})")
    if Team.objects.filter(name__in=team_names().values()).exists():
        reasons.append("the demo teams already exist")
    return reasons


def demo_load(*, today: dt.date, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Create the demo council in one transaction, or raise DemoNotLoaded if it would collide."""
    with transaction.atomic(), pghistory.context(source="demo_data"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        blockers = demo_blockers()
        if blockers:
            raise DemoNotLoaded("; ".join(blockers))
        builder = _Builder(today=today, seed=seed)
        with _bulk():
            builder.build()
        return builder.summary()


@contextmanager
def _bulk() -> Iterator[None]:
    """Load in bulk (issue #14 §4): each episode's deadlines computed once at the end rather than
    after every step, and no savepoint per service call (the whole load is one transaction, and
    any error in it rolls all of it back, so the savepoints bought nothing but round trips)."""
    features = connection.features
    saved = features.uses_savepoints
    features.uses_savepoints = False
    try:
        with deadlines_recompute_deferred():
            yield
    finally:
        features.uses_savepoints = saved
