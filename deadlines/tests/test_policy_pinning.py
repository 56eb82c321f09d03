"""An episode keeps the policy version it started under until it is re-based (timescales.md "pinned per episode").

The scenario: Gloucestershire episode, LPM Thu 17 Dec 2026, letter delivered Thu 24 Dec 2026.
Under version 2026.4 (002 §9b iii) the initial meeting is due 10 working days after the letter,
Tue 12 Jan 2027. A release then changes the rule to 5 working days (version 2027.1), which would
make it Tue 5 Jan 2027 (29, 30, 31 Dec, 4, 5 Jan).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from accounts.roles import Role
from cases import services as cs
from cases.models import Episode
from deadlines import pinning
from deadlines.engine import available_policies, load_policy
from deadlines.engine import policies as engine_policies
from deadlines.models import Deadline
from deadlines.pinning import ARCHIVE, policy_for
from deadlines.services import deadlines_recompute
from deadlines.tests.test_calendar_admin import start_episode

pytestmark = pytest.mark.django_db

BUNDLED = Path(engine_policies.__file__).resolve().parent / "policies"
OLD_RULE = 'key = "initial_meeting"\nanchor = "letter_before_proceedings"\namount = 10\n'
NEW_RULE = 'key = "initial_meeting"\nanchor = "letter_before_proceedings"\namount = 5\n'


@pytest.fixture
def policy_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled policies (and an empty archive) that the test may change."""
    current = tmp_path / "policies"
    (current / "archive").mkdir(parents=True)
    for path in BUNDLED.glob("*.toml"):
        shutil.copy(path, current / path.name)
    monkeypatch.setattr(engine_policies, "POLICY_DIR", current)
    monkeypatch.setattr(pinning, "ARCHIVE", current / "archive")
    return current


def release_new_gloucestershire(policy_dir: Path, *, archive: bool = True) -> None:
    """What archive/README.md asks for: copy the old file to the archive, then change the rule and bump the version."""
    path = policy_dir / "gloucestershire.toml"
    text = path.read_text(encoding="utf-8")
    if archive:
        shutil.copy(path, policy_dir / "archive" / "gloucestershire-2026.4.toml")
    assert text.count(OLD_RULE) == 1 and text.count('version = "2026.4"') == 1
    path.write_text(text.replace(OLD_RULE, NEW_RULE).replace('version = "2026.4"', 'version = "2027.1"'), "utf-8")


@pytest.fixture
def episode(settings, make_user, policy_dir) -> Episode:
    settings.PLO_POLICY = "gloucestershire"
    episode = start_episode(make_user)
    assert (episode.policy_name, episode.policy_version) == ("gloucestershire", "2026.4")
    assert initial_meeting_due(episode) == dt.date(2027, 1, 12)
    return episode


def initial_meeting_due(episode: Episode) -> dt.date | None:
    return Deadline.objects.get(episode=episode, key="initial_meeting", occurrence=1).due_on


def test_an_open_episode_keeps_its_rules_after_the_policy_file_changes(policy_dir, episode):
    release_new_gloucestershire(policy_dir)
    assert load_policy("gloucestershire").version == "2027.1"

    pinned = policy_for(episode)
    assert (pinned.name, pinned.version) == ("gloucestershire", "2026.4")
    assert Path(pinned.path).name == "gloucestershire-2026.4.toml"
    deadlines_recompute(episode=episode)
    assert initial_meeting_due(episode) == dt.date(2027, 1, 12)  # still 10 working days


def test_a_new_episode_starts_under_the_new_version(settings, make_user, policy_dir, episode):
    release_new_gloucestershire(policy_dir)
    newer = start_episode(make_user)
    assert newer.policy_version == "2027.1"
    assert initial_meeting_due(newer) == dt.date(2027, 1, 5)
    assert initial_meeting_due(episode) == dt.date(2027, 1, 12)


def test_rebase_moves_the_episode_to_the_new_version_and_recomputes(make_user, policy_dir, episode):
    release_new_gloucestershire(policy_dir)
    rebased = cs.episode_rebase(episode=episode, policy_name="gloucestershire", by=make_user(Role.HEAD_OF_SERVICE))
    rebased.refresh_from_db()
    assert (rebased.policy_name, rebased.policy_version) == ("gloucestershire", "2027.1")
    assert policy_for(rebased).version == "2027.1"
    assert initial_meeting_due(rebased) == dt.date(2027, 1, 5)  # 5 working days after Thu 24 Dec 2026


def test_a_pinned_version_found_nowhere_is_a_clear_lookup_error(policy_dir, episode):
    release_new_gloucestershire(policy_dir, archive=False)  # the release forgot the archive copy
    with pytest.raises(LookupError, match=r"gloucestershire version 2026\.4 is not available; re-base"):
        policy_for(episode)
    with pytest.raises(LookupError):
        deadlines_recompute(episode=episode)
    assert initial_meeting_due(episode) == dt.date(2027, 1, 12)  # nothing half-written


def test_an_unknown_pinned_version_is_a_lookup_error_even_without_a_release(policy_dir, episode):
    Episode.objects.filter(pk=episode.pk).update(policy_version="2019.1")
    episode.refresh_from_db()
    with pytest.raises(LookupError, match=r"gloucestershire version 2019\.1"):
        policy_for(episode)


def test_the_loader_accepts_archive_file_names_and_does_not_offer_them_as_policies(policy_dir):
    """Archive files are named <name>-<version>.toml, so their name differs from the file name on purpose."""
    release_new_gloucestershire(policy_dir)
    archived = policy_dir / "archive" / "gloucestershire-2026.4.toml"
    for how in (archived, str(archived)):
        policy = load_policy(how)
        assert (policy.name, policy.version) == ("gloucestershire", "2026.4")
    assert available_policies() == ["gloucestershire", "pre_action_flowchart", "st_helens", "standard", "sutton"]


def archive_problems(archive: Path) -> list[str]:
    """What is wrong in an archive folder: policy_for trusts the file name, so name and version
    must match it, and an archived version must be an older one of a current policy."""
    problems = []
    for path in sorted(archive.glob("*.toml")):
        policy = load_policy(path)
        if path.stem != f"{policy.name}-{policy.version}":
            problems.append(f"{path.name}: holds {policy.name} {policy.version}")
        elif policy.name not in available_policies():
            problems.append(f"{path.name}: no current policy {policy.name}")
        elif load_policy(policy.name).version == policy.version:
            problems.append(f"{path.name}: same version as the current file")
    return problems


def test_every_archived_policy_is_an_older_version_named_after_itself():
    """Guards the real archive (which may hold no file yet: then there is nothing wrong in it)."""
    assert (ARCHIVE / "README.md").is_file()
    assert ARCHIVE == BUNDLED / "archive"
    assert archive_problems(ARCHIVE) == []


def test_the_archive_check_passes_a_proper_release_and_names_each_mistake(policy_dir):
    archive = policy_dir / "archive"
    release_new_gloucestershire(policy_dir)
    assert [p.name for p in archive.glob("*.toml")] == ["gloucestershire-2026.4.toml"]
    assert archive_problems(archive) == []
    shutil.copy(archive / "gloucestershire-2026.4.toml", archive / "gloucestershire-2025.1.toml")
    shutil.copy(policy_dir / "gloucestershire.toml", archive / "gloucestershire-2027.1.toml")
    assert archive_problems(archive) == [
        "gloucestershire-2025.1.toml: holds gloucestershire 2026.4",
        "gloucestershire-2027.1.toml: same version as the current file",
    ]


@pytest.mark.parametrize("name", ["gloucestershire", "standard"])
def test_an_episode_pinned_before_the_advice_record_rule_gets_it_only_when_re_based(settings, make_user, name):
    """Version 2026.4 added 002 App. 2's record of the LPM's legal advice to the head of service
    (LPM Thu 17 Dec 2026 + 5 working days: Fri 18 (1), Mon 21 (2), Tue 22 (3), Wed 23 (4), Thu 24 Dec
    (5)). An episode started under 2026.3 keeps its timetable, without it, until a head of service
    re-bases it."""
    settings.PLO_POLICY = name
    episode = start_episode(make_user)
    assert episode.policy_version == "2026.4"
    assert Deadline.objects.get(episode=episode, key="advice_to_head_of_service").due_on == dt.date(2026, 12, 24)
    # The same episode as it stands when it started under 2026.3: worked out by those rules alone.
    Episode.objects.filter(pk=episode.pk).update(policy_version="2026.3")
    Deadline.objects.filter(episode=episode).delete()
    episode.refresh_from_db()
    deadlines_recompute(episode=episode)
    assert initial_meeting_due(episode) == dt.date(2027, 1, 12)  # its other deadlines as before
    assert not Deadline.objects.filter(episode=episode, key="advice_to_head_of_service").exists()
    rebased = cs.episode_rebase(episode=episode, policy_name=name, by=make_user(Role.HEAD_OF_SERVICE))
    assert rebased.policy_version == "2026.4"
    assert Deadline.objects.get(episode=episode, key="advice_to_head_of_service").due_on == dt.date(2026, 12, 24)
