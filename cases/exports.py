"""The national pre-proceedings data items (docs/national-dataset.md) as CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.models import User
from cases.scopes import episodes_visible_to
from meetings.models import LPM, LPMKind, Meeting, MeetingKind
from plo_tracker.text import safe_cell

from .models import CareProceedings, EndOutcome, EpisodeChild, HearingKind

ITEMS = [f"PREP{n:03d}A" for n in (24, *range(1, 24))]
NOT_IN_PROCEEDINGS = "Not in care proceedings"
_LPM_OUTCOME_CODE = {"nfa": "A", "initiate": "B", "issue": "C"}
_NATIONAL_OUTCOME = {"issue": "Decision to Issue Care Proceedings", "step_down": "Decision to step down"}


def spreadsheet_safe(value: Any) -> str:
    """A cell value a spreadsheet will not run as a formula (leading = + - @ tab or CR quoted),
    without hidden bidirectional or control characters."""
    return safe_cell("" if value is None else str(value))


def _uk(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _yes_no_unknown(value: str) -> str:
    return {"yes": "Yes", "no": "No"}.get(value, "Unknown")


@dataclass
class NationalRecord:
    """One child in one episode, with typed values, before it is written in either code set."""

    row_id: str
    family_pk: int
    family_reference: str
    child_name: str
    child_id: str
    decision_date: dt.date | None
    initial_meeting: dt.date | None
    outcome: str  # "issue", "step_down" or "" while open
    outcome_date: dt.date | None
    cp_plans: int
    gateway_outcome: str  # A-D
    previous_pre_proceedings: int
    previous_proceedings: int
    letter_delivered: dt.date | None
    letter_of_issue: dt.date | None
    review_meetings: int
    represented_pre: str  # yes / no / unknown
    issued: bool
    represented_at_issue: str
    court_reference: str
    hearings_held: int
    short_notice: str
    short_notice_reason: str
    initial_plan_approved: str
    initial_care_plan: str
    final_plan_approved: str
    final_care_plan: str
    final_hearing_held: bool
    problems: list[str] = field(default_factory=list)


def national_records(
    *, user: User, date_from: dt.date, date_to: dt.date, today: dt.date | None = None
) -> list[NationalRecord]:
    """One record per child per episode open at any time in the period, from the records themselves.

    Hearings count towards PREP017A only once they have taken place (on or before the end of the
    period and not after today): a hearing listed for a future date has not happened yet.
    """
    today = today or timezone.localdate()
    counted_until = min(date_to, today)
    episodes = list(
        episodes_visible_to(user)
        .filter(started_on__lte=date_to)
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
    child_ids = {link.child_id for e in episodes for link in e.episode_children.all()}
    # Each child's episodes that went to court (proceedings issued), as (start, id): an episode's
    # record counts those that started before it (PREP010A: earlier periods, never later ones).
    issued_episodes: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for child_id, started_on, episode_id in EpisodeChild.objects.filter(
        child_id__in=child_ids, episode__proceedings__issued_on__isnull=False
    ).values_list("child_id", "episode__started_on", "episode_id"):
        issued_episodes[child_id].append((started_on, episode_id))
    records: list[NationalRecord] = []
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
            in_pre = "yes"
        elif represented == {"no"}:
            in_pre = "no"
        else:
            in_pre = "unknown"
        if proceedings is not None:
            outcome, outcome_date = "issue", proceedings.issue_decision_on
        elif episode.end_outcome in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN) or (
            episode.end_outcome == EndOutcome.NFA and episode.decision_date
        ):
            outcome, outcome_date = "step_down", episode.end_decision_date or episode.ended_on
        else:
            outcome, outcome_date = "", None
        hearings = list(proceedings.hearings.all()) if issued and proceedings is not None else []
        held = [h for h in hearings if h.hearing_date <= counted_until]
        for link in episode.episode_children.all():
            child = link.child
            previous_proceedings = child.previous_care_proceedings + sum(
                1 for key in issued_episodes[child.pk] if key < (episode.started_on, episode.pk)
            )
            record = NationalRecord(
                row_id=f"{episode.pk}-{child.pk}",
                family_pk=episode.family_id,
                family_reference=episode.family.reference,
                child_name=str(child),
                child_id=child.case_system_id,
                decision_date=episode.decision_date,
                initial_meeting=initial.held_on if initial else None,
                outcome=outcome,
                outcome_date=outcome_date,
                cp_plans=child.cp_plan_count,
                gateway_outcome=_LPM_OUTCOME_CODE.get(decisive.outcome, "D") if decisive else "D",
                previous_pre_proceedings=link.earlier_episodes,
                previous_proceedings=max(previous_proceedings, 0),
                letter_delivered=deliveries[0] if deliveries else None,
                letter_of_issue=proceedings.letter_of_issue_on if proceedings else None,
                review_meetings=len(reviews),
                represented_pre=in_pre,
                issued=issued,
                represented_at_issue=proceedings.parents_represented_at_issue if proceedings else "",
                court_reference=proceedings.court_reference if proceedings and issued else "",
                hearings_held=len(held),
                short_notice=proceedings.short_notice if proceedings else "",
                short_notice_reason=proceedings.short_notice_reason if proceedings else "",
                initial_plan_approved=proceedings.initial_plan_approved if proceedings else "",
                initial_care_plan=proceedings.initial_care_plan if proceedings else "",
                final_plan_approved=proceedings.final_plan_approved if proceedings else "",
                final_care_plan=proceedings.final_care_plan if proceedings else "",
                final_hearing_held=any(h.kind == HearingKind.FINAL for h in held),
            )
            record.problems = record_problems(record)
            records.append(record)
    return records


def record_problems(r: NationalRecord) -> list[str]:
    """Combinations the national return cannot hold, each written as what to fix on the case.

    These are refused rather than exported: a return with "not yet decided" written as G (Other),
    or short notice "Yes" with no reason, would be wrong data sent to the DfE.
    """
    problems: list[str] = []
    if r.initial_meeting and r.decision_date and r.initial_meeting < r.decision_date:
        problems.append("The initial meeting is recorded before the decision to start pre-proceedings")
    if r.letter_delivered and r.decision_date and r.letter_delivered < r.decision_date:
        problems.append("The letter before proceedings is recorded as delivered before the decision to start")
    if r.outcome_date and r.decision_date and r.outcome_date < r.decision_date:
        problems.append("The decision to step down or issue is recorded before the decision to start")
    if r.issued:
        if not r.court_reference:
            problems.append("Proceedings are issued but have no court reference: enter the court reference")
        if r.short_notice == "yes" and not r.short_notice_reason:
            problems.append("Proceedings were issued on short notice but no reason is recorded: choose the main reason")
        if r.short_notice != "yes" and r.short_notice_reason:
            problems.append("A short-notice reason is recorded but the proceedings were not issued on short notice")
        if not r.initial_care_plan:
            problems.append("Proceedings are issued but the initial care plan is not recorded: choose the plan")
        if r.final_hearing_held and not r.final_care_plan:
            problems.append("The final hearing has taken place but the final care plan is not recorded")
        if r.final_care_plan and not r.final_hearing_held:
            problems.append("A final care plan is recorded but no final hearing has taken place")
    return problems


def national_row(r: NationalRecord) -> dict[str, str]:
    """A record written with the DfE item codes and values (national-dataset.md)."""
    issued = r.issued
    return {
        "PREP024A": r.row_id,
        "PREP001A": r.child_id,
        "PREP002A": r.family_reference,
        "PREP003A": _uk(r.decision_date),
        "PREP004A": _uk(r.initial_meeting),
        "PREP005A": _NATIONAL_OUTCOME.get(r.outcome, ""),
        "PREP006A": _uk(r.outcome_date),
        "PREP007A": str(r.cp_plans),
        "PREP008A": r.gateway_outcome,
        "PREP009A": str(r.previous_pre_proceedings),
        "PREP010A": str(r.previous_proceedings),
        "PREP011A": _uk(r.letter_delivered),
        "PREP012A": _uk(r.letter_of_issue),
        "PREP013A": str(r.review_meetings),
        "PREP014A": _yes_no_unknown(r.represented_pre),
        "PREP015A": _yes_no_unknown(r.represented_at_issue) if issued else NOT_IN_PROCEEDINGS,
        "PREP016A": r.court_reference,
        "PREP017A": str(r.hearings_held) if issued else "0",
        "PREP018A": _yes_no_unknown(r.short_notice) if issued else NOT_IN_PROCEEDINGS,
        "PREP019A": (r.short_notice_reason or "none") if issued else "none",
        "PREP020A": _yes_no_unknown(r.initial_plan_approved) if issued else "Unknown",
        "PREP021A": r.initial_care_plan if issued else NOT_IN_PROCEEDINGS,
        "PREP022A": _yes_no_unknown(r.final_plan_approved) if issued else "Unknown",
        "PREP023A": (r.final_care_plan or "H") if issued else "H",
    }


def national_rows(*, user: User, date_from: dt.date, date_to: dt.date) -> Iterator[dict[str, str]]:
    """The national rows of every record without problems (see national_records)."""
    for record in national_records(user=user, date_from=date_from, date_to=date_to):
        if not record.problems:
            yield national_row(record)


# --- Standard Safeguarding Dataset (SSD), object ssd_pre_proceedings -------------------------
# Field names and code sets of data-to-insight/ssd-data-model's ssd_pre_proceedings table
# (PREP024A..PREP023A in its item_ref metadata). Its yes/no items are NCHAR(1) (Y, N, U),
# PREP015A is NCHAR(2) (Y, N, U, or NA for "not in care proceedings"), dates are DATETIME and
# are written as ISO dates (YYYY-MM-DD) so a SQL Server load reads them whatever its DATEFORMAT;
# an item the guidance says to leave blank is written empty (NULL).
SSD_FIELDS = [
    "prep_table_id",
    "prep_person_id",
    "prep_plo_family_id",
    "prep_pre_pro_decision_date",
    "prep_initial_pre_pro_meeting_date",
    "prep_pre_pro_outcome",
    "prep_agree_stepdown_issue_date",
    "prep_cp_plans_referral_period",
    "prep_legal_gateway_outcome",
    "prep_prev_pre_proc_child",
    "prep_prev_care_proc_child",
    "prep_pre_pro_letter_date",
    "prep_care_pro_letter_date",
    "prep_pre_pro_meetings_num",
    "prep_pre_pro_parents_legal_rep",
    "prep_parents_legal_rep_point_of_issue",
    "prep_court_reference",
    "prep_care_proc_court_hearings",
    "prep_care_proc_short_notice",
    "prep_proc_short_notice_reason",
    "prep_la_inital_plan_approved",  # sic: the SSD spells it "inital"
    "prep_la_initial_care_plan",
    "prep_la_final_plan_approved",
    "prep_la_final_care_plan",
]
SSD_NOT_IN_PROCEEDINGS = "Not in care proceedings"
SSD_NO_SHORT_NOTICE = "No short notice applications"


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _ynu(value: str) -> str:
    return {"yes": "Y", "no": "N"}.get(value, "U")


def ssd_row(r: NationalRecord) -> dict[str, str]:
    """A record written as one row of the SSD's ssd_pre_proceedings table."""
    issued = r.issued
    return {
        "prep_table_id": r.row_id,
        "prep_person_id": r.child_id,
        "prep_plo_family_id": r.family_reference,
        "prep_pre_pro_decision_date": _iso(r.decision_date),
        "prep_initial_pre_pro_meeting_date": _iso(r.initial_meeting),
        "prep_pre_pro_outcome": _NATIONAL_OUTCOME.get(r.outcome, ""),
        "prep_agree_stepdown_issue_date": _iso(r.outcome_date),
        "prep_cp_plans_referral_period": str(r.cp_plans),
        "prep_legal_gateway_outcome": r.gateway_outcome,
        "prep_prev_pre_proc_child": str(r.previous_pre_proceedings),
        "prep_prev_care_proc_child": str(r.previous_proceedings),
        "prep_pre_pro_letter_date": _iso(r.letter_delivered),
        "prep_care_pro_letter_date": _iso(r.letter_of_issue) if issued else "",
        "prep_pre_pro_meetings_num": str(r.review_meetings),
        "prep_pre_pro_parents_legal_rep": _ynu(r.represented_pre),
        "prep_parents_legal_rep_point_of_issue": _ynu(r.represented_at_issue) if issued else "NA",
        "prep_court_reference": r.court_reference,
        "prep_care_proc_court_hearings": str(r.hearings_held) if issued else "",
        "prep_care_proc_short_notice": _ynu(r.short_notice) if issued else "",
        "prep_proc_short_notice_reason": (r.short_notice_reason or SSD_NO_SHORT_NOTICE) if issued else "",
        "prep_la_inital_plan_approved": _ynu(r.initial_plan_approved) if issued else "",
        "prep_la_initial_care_plan": r.initial_care_plan if issued else SSD_NOT_IN_PROCEEDINGS,
        "prep_la_final_plan_approved": _ynu(r.final_plan_approved) if issued else "",
        "prep_la_final_care_plan": (r.final_care_plan or "H") if issued else "",
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_layout(code_set: str) -> tuple[list[str], Any, str]:
    """The field names, the row writer and the file name's stem of a code set ("national" or "ssd")."""
    if code_set == "ssd":
        return SSD_FIELDS, ssd_row, "ssd-pre-proceedings"
    return ITEMS, national_row, "pre-proceedings"


def csv_lines(*, records: list[NationalRecord], code_set: str) -> Iterator[str]:
    """The CSV's lines: a header, then one row per record without problems, every cell quoted
    against spreadsheet formulas."""
    fields, to_row, _ = csv_layout(code_set)
    writer = csv.DictWriter(_Echo(), fieldnames=fields)
    yield ",".join(fields) + "\r\n"
    for record in records:
        if record.problems:
            continue
        yield writer.writerow({k: spreadsheet_safe(v) for k, v in to_row(record).items()})


def csv_filename(*, code_set: str, date_from: dt.date, date_to: dt.date) -> str:
    return f"{csv_layout(code_set)[2]}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv"


def export_csv(
    *, records: list[NationalRecord], code_set: str, date_from: dt.date, date_to: dt.date
) -> StreamingHttpResponse:
    """Stream checked records as a CSV download: DfE item codes ("national") or SSD fields ("ssd").

    Callers pass records without problems only (national_records marks them); a record with a
    problem is never written.
    """
    response = StreamingHttpResponse(
        csv_lines(records=records, code_set=code_set), content_type="text/csv; charset=utf-8"
    )
    name = csv_filename(code_set=code_set, date_from=date_from, date_to=date_to)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def national_record_count(*, user: User, date_from: dt.date, date_to: dt.date) -> int:
    """How many records (children per episode) the period holds for this person, counted in the
    database without building them: decides whether the export is made by a worker."""
    episodes = (
        episodes_visible_to(user)
        .filter(started_on__lte=date_to)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date_from))
    )
    return EpisodeChild.objects.filter(episode__in=episodes.values("pk")).count()
