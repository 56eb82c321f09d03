"""Which policy version an episode is pinned to (docs/architecture.md "The deadline engine"): the
current file when its version matches, else the archived copy of that version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .engine import Policy, load_policy

if TYPE_CHECKING:
    from cases.models import Episode

ARCHIVE = Path(__file__).resolve().parent / "engine" / "policies" / "archive"


def policy_for(episode: Episode) -> Policy:
    """The policy version the episode is pinned to (an archived copy if the file has moved on)."""
    from .engine import PolicyError

    try:
        policy = load_policy(episode.policy_name)
    except PolicyError:
        policy = None  # retired or renamed: the archive may still hold the pinned version
    if policy is not None and policy.version == episode.policy_version:
        return policy
    archived_path = ARCHIVE / f"{episode.policy_name}-{episode.policy_version}.toml"
    if archived_path.exists():
        archived = load_policy(str(archived_path))
        if archived.name == episode.policy_name and archived.version == episode.policy_version:
            return archived
        raise LookupError(
            f"{archived_path.name} holds {archived.name} version {archived.version}, "
            f"not version {episode.policy_version}"
        )
    raise LookupError(
        f"Policy {episode.policy_name} version {episode.policy_version} is not available; "
        "re-base the episode to the current version"
    )
