"""The national pre-proceedings data items (shared/domain/national-dataset.md) as CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, Q
from django.http import StreamingHttpResponse

from accounts.models import User
from meetings.models import LPM, LPMKind, Meeting, MeetingKind

from .models import CareProceedings, EndOutcome, Episode, EpisodeChild
from .selectors import families_visible_to

ITEMS = [f"PREP{n:03d}A" for n in (24, *range(1, 24))]
NOT_IN_PROCEEDINGS = "Not in care proceedings"
_LPM_OUTCOME_CODE = {"nfa": "A", "initiate": "B", "issue": "C"}


def spreadsheet_safe(value: Any) -> str:
    """A cell value a spreadsheet will not run as a formula (leading = + - @ tab or CR quoted)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _uk(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _yes_no_unknown(value: str) -> str:
    return {"yes": "Yes", "no": "No"}.get(value, "Unknown")


def national_rows(*, user: User, date_from: dt.date, date_to: dt.date) -> Iterator[dict[str, str]]:
    """One row per child per episode open at any time in the period, from the records themselves."""
    episodes = (
        Episode.objects.filter(family__in=families_visible_to(user), started_on__lte=date_to)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date_from))
        .select_related("family")
        .prefetch_related(
            Prefetch("episode_children", queryset=EpisodeChild.objects.select_related("child").order_by("child_id")),
            Prefetch("lpms", queryset=LPM.objects.order_by("held_on", "id")),
            Prefetch("meetings", queryset=Meeting.objects.filter(held_on__isnull=False)),
            "letter_deliveries",
            "family__people",
            Prefetch("proceedings", queryset=CareProceedings.objects.prefetch_related("hearings")),
        )
        .order_by("started_on", "id")
    )
    episodes = list(episodes)
    child_ids = {link.child_id for e in episodes for link in e.episode_children.all()}
    earlier_proceedings: dict[int, int] = {}
    for link in EpisodeChild.objects.filter(
        child_id__in=child_ids, episode__proceedings__issued_on__isnull=False
    ).values("child_id", "episode__proceedings__issued_on"):
        earlier_proceedings.setdefault(link["child_id"], 0)
        earlier_proceedings[link["child_id"]] += 1
    for episode in episodes:
        proceedings = getattr(episode, "proceedings", None)
        issued = proceedings is not None and proceedings.issued_on is not None
        path = [x for x in episode.lpms.all() if x.kind != LPMKind.REVIEW and x.outcome]
        decisive = path[-1] if path else None
        initial = next((m for m in episode.meetings.all() if m.kind == MeetingKind.INITIAL), None)
        reviews = [m for m in episode.meetings.all() if m.kind == MeetingKind.REVIEW]
        deliveries = sorted(d.delivered_on for d in episode.letter_deliveries.all())
        represented = {p.legally_represented for p in episode.family.people.all() if p.parental_responsibility}
        if "yes" in represented:
            in_pre = "Yes"
        elif represented == {"no"}:
            in_pre = "No"
        else:
            in_pre = "Unknown"
        if proceedings is not None:
            outcome, outcome_date = "Decision to Issue Care Proceedings", proceedings.issue_decision_on
        elif episode.end_outcome in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN) or (
            episode.end_outcome == EndOutcome.NFA and episode.decision_date
        ):
            outcome, outcome_date = "Decision to step down", episode.end_decision_date or episode.ended_on
        else:
            outcome, outcome_date = "", None
        for link in episode.episode_children.all():
            child = link.child
            previous_proceedings = (
                child.previous_care_proceedings + earlier_proceedings.get(child.pk, 0) - (1 if issued else 0)
            )
            yield {
                "PREP024A": f"{episode.pk}-{child.pk}",
                "PREP001A": child.case_system_id,
                "PREP002A": episode.family.reference,
                "PREP003A": _uk(episode.decision_date),
                "PREP004A": _uk(initial.held_on if initial else None),
                "PREP005A": outcome,
                "PREP006A": _uk(outcome_date),
                "PREP007A": str(child.cp_plan_count),
                "PREP008A": _LPM_OUTCOME_CODE.get(decisive.outcome, "D") if decisive else "D",
                "PREP009A": str(link.earlier_episodes),
                "PREP010A": str(max(previous_proceedings, 0)),
                "PREP011A": _uk(deliveries[0] if deliveries else None),
                "PREP012A": _uk(proceedings.letter_of_issue_on if proceedings else None),
                "PREP013A": str(len(reviews)),
                "PREP014A": in_pre,
                "PREP015A": _yes_no_unknown(proceedings.parents_represented_at_issue) if issued else NOT_IN_PROCEEDINGS,
                "PREP016A": proceedings.court_reference if issued else "",
                "PREP017A": str(len(proceedings.hearings.all())) if issued else "0",
                "PREP018A": _yes_no_unknown(proceedings.short_notice) if issued else NOT_IN_PROCEEDINGS,
                "PREP019A": (proceedings.short_notice_reason or "none") if issued else "none",
                "PREP020A": _yes_no_unknown(proceedings.initial_plan_approved) if issued else "Unknown",
                "PREP021A": (proceedings.initial_care_plan or "G") if issued else NOT_IN_PROCEEDINGS,
                "PREP022A": _yes_no_unknown(proceedings.final_plan_approved) if issued else "Unknown",
                "PREP023A": (proceedings.final_care_plan or "H") if issued else "H",
            }


class _Echo:
    def write(self, value: str) -> str:
        return value


def national_dataset_csv(*, user: User, date_from: dt.date, date_to: dt.date) -> StreamingHttpResponse:
    """Stream the national data items as a CSV download named for the period."""
    writer = csv.DictWriter(_Echo(), fieldnames=ITEMS)

    def lines() -> Iterator[str]:
        yield writer.writeheader() or ",".join(ITEMS) + "\r\n"
        for row in national_rows(user=user, date_from=date_from, date_to=date_to):
            yield writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"pre-proceedings-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
