"""Turn the tracker's filter form into selector filters and a plain-English summary (issue #5 §3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cases.models import Stage

from .screens import OUTCOME_GROUPS, RAG_LABELS, WEEK_BANDS, TrackerFilters, milestone_labels

if TYPE_CHECKING:
    from accounts.models import User


def tracker_filters(data: dict[str, Any]) -> TrackerFilters:
    """Selector filters from the form's valid data (absent or blank fields do not filter)."""
    team = data.get("team")
    worker = data.get("worker")
    return TrackerFilters(
        team=team.pk if team is not None else None,
        worker=worker.pk if worker is not None else None,
        stage=data.get("stage") or None,
        status=data.get("status") or None,
        weeks=data.get("weeks") or None,
        past_standard=bool(data.get("past_standard")),
        extended=bool(data.get("extended")),
        outcome=data.get("outcome") or None,
        ended_since=data.get("ended_since"),
        missed=data.get("missed") or None,
        due_since=data.get("due_since"),
        q=(data.get("q") or "").strip(),
        in_court=not data.get("open_only"),
        overrun=bool(data.get("overrun")),
        ends_within_weeks=data.get("ends_within") or None,
    )


def filters_from_query(query: Mapping[str, str], *, user: User) -> TrackerFilters:
    """The filters the tracker applies for this query string: what a figure linking to the
    tracker with `query` must count (the tracker's own views read their GET the same way)."""
    from django.http import QueryDict

    from .forms import TrackerFilterForm

    data = QueryDict(mutable=True)
    data.update(query)
    return tracker_filters(TrackerFilterForm(data, user=user).valid_data())


def tracker_filter_summary(data: dict[str, Any]) -> list[str]:
    """What the table is narrowed to, for the page, the printout and the export's title."""
    out: list[str] = []
    if data.get("team"):
        out.append(f"team: {data['team']}")
    if data.get("worker"):
        worker = data["worker"]
        out.append(f"social worker: {worker.get_full_name() or worker.username}")
    if data.get("stage"):
        out.append(f"stage: {Stage(data['stage']).label.lower()}")
    if data.get("status"):
        out.append(f"RAG status: {RAG_LABELS[data['status']].lower()}")
    if data.get("weeks"):
        out.append(WEEK_BANDS[data["weeks"]][0].lower())
    if data.get("past_standard"):
        out.append("past their standard length")
    if data.get("extended"):
        out.append("with an agreed extension")
    if data.get("outcome"):
        label = OUTCOME_GROUPS[data["outcome"]][0].lower()
        since = data.get("ended_since")
        out.append(f"ended ({label})" + (f" since {since.day} {since:%b %Y}" if since else ""))
    if data.get("missed"):
        label = milestone_labels().get(data["missed"], data["missed"].replace("_", " "))
        since = data.get("due_since")
        out.append(f"{label.lower()} met late or overdue" + (f", due since {since.day} {since:%b %Y}" if since else ""))
    if data.get("open_only"):
        out.append("open episodes only (not care proceedings already issued)")
    if data.get("overrun"):
        out.append("predicted to run past the end of pre-proceedings")
    if data.get("ends_within"):
        weeks = data["ends_within"]
        out.append(f"in pre-proceedings ending within {weeks} week{'s' if weeks != 1 else ''} or past their end")
    if data.get("q"):
        out.append(f"matching “{data['q']}”")
    return out
