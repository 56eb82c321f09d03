"""The two scope rules a one-line fault once broke without any test noticing (issue 23): a team
manager sees the teams she manages as well as her own, and a deactivated account sees nothing at
all through any scope (tasks, feeds and emails call the scopes without a signed-in session, so
the sign-in page refusing a deactivated user is not enough)."""

from __future__ import annotations

import importlib
import inspect

import pytest
from django.apps import apps
from django.utils.module_loading import module_has_submodule

from accounts import scopes
from accounts.roles import Role
from accounts.tests.factories import ServiceAreaFactory, TeamFactory
from cases import scopes as case_scopes
from deadlines import scopes as deadline_scopes
from deadlines.tests.test_scenarios import Staff, family, start_pre_proceedings

pytestmark = pytest.mark.django_db

# Every scope of one record kind: `<kind>_visible_to(user)` returns a queryset. Each lives in the
# scopes.py of the app that owns the records (docs/security.md), found here by name in every app.
SCOPE_MODULES = {
    config.label: importlib.import_module(f"{config.name}.scopes")
    for config in apps.get_app_configs()
    if module_has_submodule(config.module, "scopes")
}
SCOPES = {
    name: fn
    for module in SCOPE_MODULES.values()
    for name, fn in inspect.getmembers(module, inspect.isfunction)
    if fn.__module__ == module.__name__
    and name.endswith("_visible_to")
    and list(inspect.signature(fn).parameters) == ["user"]
}


@pytest.fixture
def council(make_user):
    north = TeamFactory(name="North team", service_area=ServiceAreaFactory(name="Northern area"))
    south = TeamFactory(name="South team", service_area=ServiceAreaFactory(name="Southern area"))
    hos = make_user(Role.HEAD_OF_SERVICE, team=None, username="hos")
    tara = make_user(Role.TEAM_MANAGER, team=north, username="tara")
    nick = make_user(Role.TEAM_MANAGER, team=south, username="nick")
    north_staff = Staff(tm=tara, hos=hos, sw=make_user(Role.SOCIAL_WORKER, team=north, username="nsw"), team=north)
    south_staff = Staff(tm=nick, hos=hos, sw=make_user(Role.SOCIAL_WORKER, team=south, username="ssw"), team=south)
    start_pre_proceedings(family(north_staff, name="Northfield family", reference="PLO-N1"), north_staff)
    start_pre_proceedings(family(south_staff, name="Southgate family", reference="PLO-S1"), south_staff)
    return {"north": north, "south": south, "hos": hos, "tara": tara, "nick": nick, "make_user": make_user}


def _refs(user) -> set[str]:
    return set(case_scopes.families_visible_to(user).values_list("reference", flat=True))


def test_the_scopes_under_test_are_all_there():
    assert {"families_visible_to", "episodes_visible_to", "deadlines_visible_to", "alerts_visible_to"} <= set(SCOPES)
    assert len(SCOPES) >= 15
    assert {"cases", "meetings", "deadlines", "tracker_meetings", "letters"} <= set(SCOPE_MODULES)


def test_every_record_kind_tied_to_a_family_has_a_scope_in_its_own_app(make_user):
    """A new model under a family (a child, an episode, a meeting, a deadline ...) needs its own
    `<kind>_visible_to` in its app's scopes.py, or some page would read it without the family
    rule. Link rows read with the record they belong to (plo_tracker.record_scopes.LINK_SCOPES)."""
    import pghistory.models

    from plo_tracker.record_scopes import LINK_SCOPES
    from plo_tracker.tests.test_audit import _family_path

    user = make_user(Role.HEAD_OF_SERVICE, username="scoped")
    scoped = {(fn.__module__.split(".")[0], fn(user).model._meta.label) for fn in SCOPES.values()}
    tied = {
        model._meta.label
        for model in apps.get_models()
        if not issubclass(model, pghistory.models.Event) and _family_path(model) is not None
    }
    assert {"cases.Family", "cases.Hearing", "meetings.LegalAdvice", "deadlines.Alert"} <= tied  # the walk works
    missing = sorted(label for label in tied - set(LINK_SCOPES) if (label.split(".")[0], label) not in scoped)
    assert missing == []


def test_a_team_manager_sees_the_teams_she_manages_as_well_as_her_own(council):
    tara, south = council["tara"], council["south"]
    assert _refs(tara) == {"PLO-N1"}
    assert set(scopes.teams_visible_to(tara)) == {council["north"]}
    south.managers.add(tara)
    assert _refs(tara) == {"PLO-N1", "PLO-S1"}
    assert set(scopes.teams_visible_to(tara)) == {council["north"], south}
    assert set(case_scopes.episodes_visible_to(tara).values_list("family__reference", flat=True)) == {
        "PLO-N1",
        "PLO-S1",
    }
    deadlines = deadline_scopes.deadlines_visible_to(tara).select_related("episode__family")
    assert {d.episode.family.reference for d in deadlines} == {"PLO-N1", "PLO-S1"}
    # Managing a team is not holding it for life: removed, its families leave her screens.
    south.managers.remove(tara)
    assert _refs(tara) == {"PLO-N1"}


def test_a_manager_with_no_team_of_her_own_sees_only_the_team_she_manages(council):
    floater = council["make_user"](Role.TEAM_MANAGER, team=None, username="floater")
    assert _refs(floater) == set()
    council["south"].managers.add(floater)
    assert _refs(floater) == {"PLO-S1"}
    assert set(scopes.teams_visible_to(floater)) == {council["south"]}


@pytest.mark.parametrize("role", [Role.HEAD_OF_SERVICE, Role.TEAM_MANAGER, Role.SOCIAL_WORKER, Role.LEGAL_ADVISER])
def test_a_deactivated_account_sees_nothing_through_any_scope(council, role):
    make_user = council["make_user"]
    user = make_user(role, team=council["north"], username=f"leaver-{role.value}")
    council["south"].managers.add(user)
    visible = {name for name, fn in SCOPES.items() if fn(user).exists()}
    assert "families_visible_to" in visible  # active, the account sees the families of its scope
    user.is_active = False
    user.save()
    still = sorted(name for name, fn in SCOPES.items() if fn(user).exists())
    assert still == []
    assert not scopes.sees_whole_service(user)
    assert case_scopes.families_editable_by(user).count() == 0
    assert scopes.family_q(user) is None
