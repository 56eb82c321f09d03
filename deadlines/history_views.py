"""The weekly tracker over time (issue 13 §5): stored weekly snapshots, charts, drill-down, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.access import SignedInRequest, allow
from accounts.models import Team
from accounts.roles import WEEKLY_ROLES
from accounts.scopes import sees_whole_service, teams_visible_to
from cases.models import Stage

from . import history
from .charts import Series, time_chart
from .exports import safe_cell
from .screens import milestone_labels

PERIODS = (13, 52)
STAGES = [(s, dict(Stage.choices)[s]) for s in history.OPEN_STAGES]


def _choices(request: SignedInRequest) -> tuple[int, Team | None]:
    try:
        weeks = int(request.GET.get("weeks", "13"))
    except ValueError:
        weeks = 13
    weeks = weeks if weeks in PERIODS else 13
    team = None
    if request.GET.get("team"):
        try:
            team = teams_visible_to(request.user).get(pk=int(request.GET["team"]))
        except (ValueError, Team.DoesNotExist):
            team = None
    if team is None and not sees_whole_service(request.user):
        # "All teams" is the whole service's figures: only for those who may see the whole
        # service. A service manager starts at the first of her teams.
        team = teams_visible_to(request.user).order_by("name").first()
    return weeks, team


def _label(day: dt.date) -> str:
    return f"{day:%-d %b}"


@allow(WEEKLY_ROLES)
@require_safe
def weekly_history(request: SignedInRequest) -> HttpResponse:
    """The last 13 or 52 weeks as stored each Monday, for the service or one team."""
    weeks, team = _choices(request)
    today = timezone.localdate()
    rows = history.weekly_history(user=request.user, weeks=weeks, team=team.pk if team else None, today=today)
    labels = milestone_labels()
    milestone = request.GET.get("milestone") or None
    totals = history.milestone_totals(rows)
    if milestone not in {t[0] for t in totals}:
        milestone = None
    names = [_label(r.week_ending) for r in rows]
    team_q = {"team": str(team.pk)} if team else {}

    def drill(week: dt.date, figure: str) -> str:
        return (
            reverse("deadlines:weekly-history-week", args=[week.isoformat()])
            + "?"
            + urlencode({"figure": figure, **team_q})
        )

    charts = {
        "stages": time_chart(
            names,
            [
                Series(
                    label,
                    [r.open_by_stage.get(stage, 0) for r in rows],
                    [drill(r.week_ending, f"stage:{stage}") for r in rows],
                )
                for stage, label in STAGES
            ],
            chart_id="chart-open",
            title="Open episodes at the end of each week, by stage",
        ),
        "flow": time_chart(
            names,
            [
                Series(
                    "Entered pre-proceedings",
                    [r.entries for r in rows],
                    [drill(r.week_ending, "entries") for r in rows],
                ),
                Series("Left pre-proceedings", [r.exits for r in rows], [drill(r.week_ending, "exits") for r in rows]),
            ],
            chart_id="chart-flow",
            title="Entries to and exits from pre-proceedings each week",
            kind="grouped",
        ),
        "on_time": time_chart(
            names,
            [
                Series(
                    labels.get(milestone, "All deadlines") if milestone else "All deadlines",
                    [r.on_time(milestone) for r in rows],
                )
            ],
            chart_id="chart-on-time",
            title="Deadlines due each week met on time"
            + (f": {labels.get(milestone, milestone)}" if milestone else ""),
            kind="line",
            maximum=100,
            unit="%",
        ),
        "median": time_chart(
            names,
            [
                Series("Median length of pre-proceedings ended in the last 13 weeks", [r.median_weeks for r in rows]),
                Series("Median weeks so far of open pre-proceedings", [r.median_open_weeks for r in rows]),
            ],
            chart_id="chart-median",
            title="Median length of pre-proceedings, in weeks",
            kind="line",
        ),
    }
    base = {"weeks": str(weeks), **team_q}
    context: dict[str, Any] = {
        "rows": rows,
        "rows_desc": list(reversed(rows)),
        "weeks": weeks,
        "team": team,
        "teams": list(teams_visible_to(request.user).order_by("name")),
        "whole_service": sees_whole_service(request.user),
        "periods": [(p, "?" + urlencode({**base, "weeks": str(p)})) for p in PERIODS],
        "charts": charts,
        "stages": STAGES,
        "milestone": milestone,
        "milestone_label": labels.get(milestone, milestone) if milestone else "",
        "milestones": [
            {
                "key": key,
                "label": labels.get(key, key.replace("_", " ").capitalize()),
                "met": met,
                "late": late,
                "missed": missed,
                "percent": round(100 * met / (met + late + missed)) if met + late + missed else None,
                "href": "?" + urlencode({**base, "milestone": key}) + "#on-time",
            }
            for key, met, late, missed in totals
        ],
        "all_milestones_href": "?" + urlencode(base) + "#on-time",
        "export_query": urlencode(base),
        "drill": drill,
        "exit_labels": history.EXIT_LABELS,
    }
    context["table"] = [
        {
            "week": r,
            "stage_links": [
                (r.open_by_stage.get(stage, 0), drill(r.week_ending, f"stage:{stage}")) for stage, _ in STAGES
            ],
            "entries_link": drill(r.week_ending, "entries"),
            "exits_link": drill(r.week_ending, "exits"),
            "on_time": r.on_time(milestone),
        }
        for r in reversed(rows)
    ]
    return render(request, "deadlines/weekly_history.html", context)


@allow(WEEKLY_ROLES)
@require_safe
def weekly_history_week(request: SignedInRequest, week_ending: str) -> HttpResponse:
    """The cases behind one stored figure of one week (drill-down), as far as the user may see them."""
    try:
        day = dt.date.fromisoformat(week_ending)
    except ValueError as exc:
        raise Http404("No such week") from exc
    _, team = _choices(request)
    figure = request.GET.get("figure", "")
    if figure not in history.DRILL_FIGURES:
        raise Http404("No such figure")
    episodes = history.snapshot_episodes(
        user=request.user, week_ending=day, team=team.pk if team else None, figure=figure
    )
    stage_labels = dict(Stage.choices)
    for e in episodes:
        e["stage_label"] = stage_labels.get(e["stage"], e["stage"])
    return render(
        request,
        "deadlines/weekly_history_week.html",
        {
            "week_ending": day,
            "team": team,
            "figure_label": history.DRILL_FIGURES[figure],
            "episodes": episodes,
            "back": reverse("deadlines:weekly-history") + ("?" + urlencode({"team": team.pk}) if team else ""),
        },
    )


EXPORT_HEADER = [
    "Week ending",
    "Team",
    "Open episodes",
    *[f"Open: {label}" for _, label in STAGES],
    "LPM requests",
    "Entered pre-proceedings",
    "Left pre-proceedings",
    *[f"Left: {label}" for label in history.EXIT_LABELS.values()],
    "Deadlines due",
    "Met on time",
    "% on time",
    "Median length of pre-proceedings ended in the last 13 weeks (weeks)",
    "Median weeks so far of open pre-proceedings",
]


def _export_rows(rows: list[history.HistoryWeek], team: str, milestones: list[str]) -> list[list[Any]]:
    out = []
    for r in rows:
        due = sum(sum(c) for c in r.timeliness.values())
        met = sum(c[0] for c in r.timeliness.values())
        line: list[Any] = [
            r.week_ending,
            team,
            r.open_total,
            *[r.open_by_stage.get(stage, 0) for stage, _ in STAGES],
            r.requests,
            r.entries,
            r.exits,
            *[r.exits_by_outcome.get(key, 0) for key in history.EXIT_LABELS],
            due,
            met,
            r.on_time(),
            r.median_weeks,
            r.median_open_weeks,
        ]
        for key in milestones:
            cells = r.timeliness.get(key)
            line.append(r.on_time(key) if cells else None)
        out.append(line)
    return out


@allow(WEEKLY_ROLES)
@require_safe
def weekly_history_export(request: SignedInRequest, fmt: str) -> HttpResponse:
    """The stored weeks shown on screen, one row a week, as CSV or XLSX (frozen header, filters)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("No such format")
    weeks, team = _choices(request)
    rows = history.weekly_history(
        user=request.user, weeks=weeks, team=team.pk if team else None, today=timezone.localdate()
    )
    labels = milestone_labels()
    milestones = [t[0] for t in history.milestone_totals(rows)]
    header = [*EXPORT_HEADER, *[f"% on time: {labels.get(k, k)}" for k in milestones]]
    data = _export_rows(rows, team.name if team else "All teams", milestones)
    name = f"weekly-tracker-{weeks}-weeks"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for line in data:
            writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else safe_cell(v) for v in line])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        book = Workbook()
        sheet = book.create_sheet("Weekly tracker", 0)
        del book[book.sheetnames[1]]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for line in data:
            sheet.append([safe_cell(v) for v in line])
        for row in sheet.iter_rows(min_row=2, max_col=1):
            row[0].number_format = "dd/mm/yyyy"
        sheet.freeze_panes = "C2"
        sheet.auto_filter.ref = sheet.dimensions
        for i, title in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(12, len(title) // 2 + 4), 40)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
