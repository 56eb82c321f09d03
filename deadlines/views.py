"""The tracker screens, the alert list and the calendar feed (issue #5).

Views hold no business rules: they read through deadlines.selectors (one module per screen), write through
deadlines.alerts, and each declares its roles with @allow (deny by default).
"""

from __future__ import annotations

from html import escape as esc
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.access import SignedInRequest, allow
from accounts.models import Team, User
from accounts.roles import CASE_READERS, TEAM_DASHBOARD_ROLES, TRACKER_ROLES, WEEKLY_ROLES, Role
from accounts.scopes import teams_visible_to
from accounts.services import calendar_token_regenerate

from . import alerts as alert_services
from .charts import Bar, bar_chart
from .exports import calendar_ics, tracker_csv, tracker_xlsx
from .filters import tracker_filter_summary, tracker_filters
from .forms import TeamPickForm, TrackerFilterForm
from .screens import OUTCOME_GROUPS, RAG_LABELS
from .selectors import dashboard as dashboard_selectors
from .selectors import tracker as tracker_selectors
from .selectors.alerts import alert_inbox
from .selectors.calendar import CalendarEvent, calendar_events
from .selectors.tracker import TrackerPage, TrackerRow, rag_counts, tracker_page, tracker_rows, tracker_sort
from .selectors.weekly import TIMELINESS_WEEKS, weekly_figures
from .services import calendar_current

ALERT_ROLES = CASE_READERS

# Header links of the tracker's columns (the "Sort by" control offers every field).
SORT_COLUMNS = [
    ("rag", "RAG"),
    ("family", "Family"),
    ("worker", "Social worker"),
    ("week", "Stage and week"),
    ("decision", "Key dates"),
    ("next_meeting", "Next meeting"),
    ("next_due", "Next deadline"),
    ("assessments", "Assessments outstanding"),
]


# --- Team manager dashboard ------------------------------------------------------------------


@allow(TEAM_DASHBOARD_ROLES)
@require_safe
def team_dashboard(request: SignedInRequest) -> HttpResponse:
    """A team's overdue and due-soon deadlines, alerts, cases near their end, overdue
    assessments and per-worker counts; service managers may pick the team (issue #5 §2)."""
    user = request.user
    picker: TeamPickForm | None = None
    teams_qs = teams_visible_to(user).order_by("name")
    teams = list(teams_qs)  # one query: the dashboard's query count is pinned
    team: Team | None = next((t for t in teams if t.pk == user.team_id), teams[0] if teams else None)
    if user.has_role(Role.SERVICE_MANAGER) or len(teams) > 1:
        picker = TeamPickForm(request.GET or None, initial={"team": team.pk if team else None}, teams=teams_qs)
        if picker.is_bound and picker.is_valid():
            team = picker.cleaned_data["team"]
    context: dict[str, Any] = {"picker": picker, "team": team, "today": timezone.localdate()}
    if team is not None:
        context["dash"] = dashboard_selectors.team_dashboard(
            user=user, team=team, today=context["today"], calendar=calendar_current()
        )
        context["near_end_weeks"] = dashboard_selectors.NEAR_END_WEEKS
    return render(request, "deadlines/team_dashboard.html", context)


# --- Pre-action tracker ----------------------------------------------------------------------


def _tracker(request: SignedInRequest) -> tuple[TrackerFilterForm, dict[str, Any], list[TrackerRow]]:
    """The filtered, sorted rows for the tracker, its printout and its exports."""
    form = TrackerFilterForm(request.GET, user=request.user)
    data = form.valid_data()
    rows = tracker_rows(
        user=request.user,
        today=timezone.localdate(),
        calendar=calendar_current(),
        filters=tracker_filters(data),
    )
    if data.get("sort"):
        rows = tracker_sort(rows, data["sort"], descending=data.get("dir") == "desc")
    return form, data, rows


def _without_page(request: HttpRequest) -> Any:
    """The tracker's query string (filters and sort) without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return query


def _sort_links(request: HttpRequest, data: dict[str, Any]) -> list[dict[str, Any]]:
    current, direction = data.get("sort") or "", data.get("dir") or "asc"
    links = []
    for key, label in SORT_COLUMNS:
        query = _without_page(request)  # a new order starts again at page 1
        query["sort"] = key
        query["dir"] = "desc" if current == key and direction == "asc" else "asc"
        links.append(
            {
                "key": key,
                "label": label,
                "href": "?" + query.urlencode(),
                "aria_sort": ("ascending" if direction == "asc" else "descending") if current == key else "none",
            }
        )
    return links


@allow(TRACKER_ROLES)
@require_safe
def tracker(request: SignedInRequest) -> HttpResponse:
    """The open episodes with filters, sort, search and exports (issue #5 §3), a page of
    tracker_selectors.PAGE_SIZE rows at a time (issue #14); the printout and exports hold every row."""
    form = TrackerFilterForm(request.GET, user=request.user)
    data = form.valid_data()
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = tracker_page(
        user=request.user,
        today=timezone.localdate(),
        calendar=calendar_current(),
        filters=tracker_filters(data),
        sort=data.get("sort") or "",
        descending=data.get("dir") == "desc",
        page=number,
        per_page=tracker_selectors.PAGE_SIZE,
    )
    query = _without_page(request).urlencode()
    context = {
        "form": form,
        "page": page,
        "rag_links": _rag_links(request, page.counts),
        "rows": page.rows,
        "rows_html": tracker_rows_html(page.rows),
        "summary": tracker_filter_summary(data),
        "drilldown": bool(data.get("outcome") or data.get("missed")),
        "sort_links": _sort_links(request, data),
        "query": query,
        "pagination": _pagination(query, page),
        "today": timezone.localdate(),
        "counts": page.counts,
    }
    return render(request, "deadlines/tracker.html", context)


def _rag_links(request: HttpRequest, counts: dict[str, int]) -> list[tuple[str, int, str]]:
    """Each red/amber/green count with the link that lists those episodes: the same filters and
    the RAG status (counted from the same keys that list, so the number is the list's length)."""
    links = []
    for rag in RAG_LABELS:
        query = _without_page(request)
        query["status"] = rag
        links.append((rag, counts[rag], "?" + query.urlencode()))
    return links


def _pagination(query: str, page: TrackerPage) -> dict[str, Any] | None:
    """Links for the GOV.UK pagination component: first, last, the current page and its
    neighbours, with an ellipsis for the gaps; filters and sort kept in every link."""
    if page.pages <= 1:
        return None
    prefix = f"?{query}&page=" if query else "?page="
    near = {1, page.pages, page.number - 1, page.number, page.number + 1}
    # An ellipsis stands for two or more pages; a gap of one shows that page's number instead.
    near |= {n + 1 for n in near if n + 2 in near}
    shown = sorted(near & set(range(1, page.pages + 1)))
    items: list[dict[str, Any]] = []
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": f"{prefix}{n}", "current": n == page.number})
    return {
        "items": items,
        "previous": f"{prefix}{page.number - 1}" if page.number > 1 else None,
        "next": f"{prefix}{page.number + 1}" if page.number < page.pages else None,
    }


@allow(TRACKER_ROLES)
@require_safe
def tracker_print(request: SignedInRequest) -> HttpResponse:
    """The tracker laid out for printing at the weekly tracker meeting (issue #5 §3)."""
    _, data, rows = _tracker(request)
    context = {
        "rows": rows,
        "rows_html": tracker_rows_html(rows),
        "summary": tracker_filter_summary(data),
        "today": timezone.localdate(),
        "printed_at": timezone.localtime(),
        "counts": rag_counts(rows),
        "query": _without_page(request).urlencode(),
    }
    return render(request, "deadlines/tracker_print.html", context)


@allow(TRACKER_ROLES)
@require_safe
@never_cache
def tracker_export(request: SignedInRequest, fmt: str) -> HttpResponse:
    """The tracker as CSV or XLSX, with the same filters as the screen (issue #5 §3)."""
    _, _, rows = _tracker(request)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = HttpResponse(tracker_csv(rows), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            tracker_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404("Unknown export format")
    response["Content-Disposition"] = f'attachment; filename="pre-action-tracker-{stamp}.{fmt}"'
    return response


# --- The table's rows, rendered in one Python pass ----------------------------------------------
# The screen shows a page of rows, but the printable view holds every open episode in one table
# for the weekly meeting. Django's template engine spends ~250 µs a row on this table's 40-odd
# variables, filters and {% url %} tags, so 2,000 rows would take ~500 ms; building the same
# GOV.UK markup here takes ~15 µs a row.
# Every value goes through html.escape; the template keeps the table head and everything else.

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SENTINEL = 987654321


def _d(day: Any) -> str:
    """A UK date as the templates' {{ d|date:"j M Y" }} writes it, kept on one line."""
    return f"{day.day}\u00a0{_MONTHS[day.month - 1]}\u00a0{day.year}"


def _hint(text: str) -> str:
    # Secondary text, smaller than the compact table's 16px (a plain govuk-hint is 19px).
    return f'<span class="govuk-hint govuk-!-font-size-14 govuk-!-margin-0">{text}</span>'


def _line(label: str, value: str) -> str:
    cls = "govuk-hint govuk-!-font-size-14 govuk-!-margin-0 govuk-!-display-block"
    return f'<span class="{cls}">{label}</span>{value}<br>'


def tracker_rows_html(rows: list[TrackerRow]) -> SafeString:
    """The tracker table's body rows as GOV.UK table markup (columns as in _tracker_table.html)."""
    family_url = reverse("cases:family-detail", args=[_SENTINEL]).replace(str(_SENTINEL), "{}")
    cell = '<td class="govuk-table__cell">'
    out: list[str] = []
    add = out.append
    for r in rows:
        add(f'<tr class="govuk-table__row" data-row data-reference="{esc(r.reference)}">')
        # RAG first: the column the weekly meeting reads down.
        reasons = f"<br>{_hint(esc(', '.join(r.rag_reasons)))}" if r.rag_reasons else ""
        add(f'{cell}<strong class="govuk-tag app-rag--{r.rag}" data-rag="{r.rag}">{r.rag_label}</strong>{reasons}</td>')
        children = ", ".join(f"{esc(name)} ({esc(csid)})" for name, csid in r.children)
        add(
            f'{cell}<a class="govuk-link" href="{family_url.format(r.family_id)}">{esc(r.family_name)}</a>'
            f"<br>{esc(r.reference)}{'<br>' + _hint(children) if children else ''}</td>"
        )
        add(f"{cell}{esc(r.social_worker)}<br>{_hint(esc(r.team))}</td>")
        stage = esc(r.stage_label)
        if r.ended_on and r.court_week is None:
            stage += f"<br>ended {_d(r.ended_on)}"
        if r.week_text:
            # In care proceedings the court's 26 weeks (issue day = week 1), not the 16.
            stage += f"<br><strong>{r.week_text}</strong>"
        if r.extension_weeks:
            stage += "<br>" + _hint(f"includes {r.extension_weeks}-week extension")
        add(f"{cell}{stage}</td>")
        if r.letter_delivered:
            letter = _d(r.letter_delivered)
        elif r.letter_due:
            letter = f"due {_d(r.letter_due)}"
        else:
            letter = "–"
        if r.initial_meeting:
            initial = _d(r.initial_meeting) + ("" if r.initial_meeting_held else " (booked)")
        elif r.initial_meeting_due:
            initial = f"due {_d(r.initial_meeting_due)}"
        else:
            initial = "–"
        if r.issue_decision_on is not None:
            # Care proceedings: the dates that matter are the decision to issue and the issue
            # (an LPM can decide to issue without pre-proceedings, so with no decision date D).
            issued = _d(r.issued_on) if r.issued_on else "not yet"
            started = _line("Pre-proceedings from", _d(r.decision_date)) if r.decision_date else ""
            add(f"{cell}{started}{_line('Decision to issue', _d(r.issue_decision_on))}{_line('Issued', issued)}</td>")
        elif r.decision_date is None:
            add(f"{cell}{_hint('Before the LPM decision')}</td>")
        else:
            add(
                f"{cell}{_line('Decision', _d(r.decision_date))}{_line('Letter delivered', letter)}"
                f"{_line('Initial meeting', initial)}</td>"
            )
        nxt = f"{_d(r.next_meeting)}<br>{_hint(esc(r.next_meeting_label))}" if r.next_meeting else "–"
        add(f"{cell}{nxt}</td>")
        if r.next_due:
            deadline = (
                f"{esc(r.next_label)}<br>{_d(r.next_due)} "
                f'<strong class="govuk-tag app-status--{r.next_status}">{r.next_status_label}</strong>'
            )
        else:
            deadline = "–"
        if r.not_tracked_count:
            n = r.not_tracked_count
            deadline += "<br>" + _hint(f"{n} step{'' if n == 1 else 's'} not tracked before go-live")
        add(f"{cell}{deadline}</td>")
        overdue = f"<br>{_hint(f'{r.assessments_overdue} overdue')}" if r.assessments_overdue else ""
        add(f'<td class="govuk-table__cell govuk-table__cell--numeric">{r.assessments_outstanding}{overdue}</td></tr>')
    if not out:
        add('<tr class="govuk-table__row"><td class="govuk-table__cell" colspan="8">No episodes match.</td></tr>')
    html = "".join(out)
    return mark_safe(html)  # nosec B308 B703: every value above is escaped


# --- Weekly tracker --------------------------------------------------------------------------


@allow(WEEKLY_ROLES)
@require_safe
def weekly(request: SignedInRequest) -> HttpResponse:
    """Open episodes by stage and week, overruns, extensions, outcomes, median length and
    timeliness, each figure linking to the cases behind it (issue #5 §4)."""
    today = timezone.localdate()
    figures = weekly_figures(user=request.user, today=today, calendar=calendar_current())
    tracker_url = reverse("deadlines:tracker")

    def href(query: dict[str, str]) -> str:
        return f"{tracker_url}?{urlencode(query)}"

    stage_chart = bar_chart(
        [Bar(f.label, f.value, href(f.query)) for f in figures.by_stage],
        chart_id="chart-stage",
        title="Open episodes by stage",
    )
    week_chart = bar_chart(
        [Bar(f.label, f.value, href(f.query), warning=f.query["weeks"] == "17+") for f in figures.by_week],
        chart_id="chart-weeks",
        title="Open episodes by week since the clock started",
    )
    timeliness_chart = bar_chart(
        [
            Bar(t.label, t.percent or 0, href(t.query), text=f"{t.percent}%", warning=(t.percent or 0) < 75)
            for t in figures.timeliness
        ],
        chart_id="chart-timeliness",
        title=f"Deadlines met on time, due in the last {TIMELINESS_WEEKS} weeks",
        maximum=100,
    )
    context = {
        "figures": figures,
        "stage_chart": stage_chart,
        "week_chart": week_chart,
        "timeliness_chart": timeliness_chart,
        "tracker_url": tracker_url,
        "href": href,
        "links": {
            "open": href(figures.open.query),
            "past": href(figures.past_standard.query),
            "extended": href(figures.extended.query),
            "stages": [(f, href(f.query)) for f in figures.by_stage],
            "weeks": [(f, href(f.query)) for f in figures.by_week],
            "outcomes": [
                {
                    "label": label,
                    "slug": slug,
                    "cells": [(p, p.figures[i], href(p.figures[i].query)) for p in figures.outcomes],
                }
                for i, (slug, (label, _)) in enumerate(OUTCOME_GROUPS.items())
            ],
            "timeliness": [(t, href(t.query)) for t in figures.timeliness],
        },
        "timeliness_weeks": TIMELINESS_WEEKS,
    }
    return render(request, "deadlines/weekly.html", context)


# --- Alerts ----------------------------------------------------------------------------------


@allow(ALERT_ROLES)
def alert_list(request: SignedInRequest) -> HttpResponse:
    """The user's alerts, unacknowledged first; POST acknowledges one or all (issue #5 §6)."""
    user = request.user
    if request.method == "POST":
        if request.POST.get("all") == "1":
            count = alert_services.alerts_acknowledge_all(user=user)
            messages.success(request, f"{count} alert{'s' if count != 1 else ''} acknowledged")
        else:
            try:
                alert_id = int(request.POST.get("alert", ""))
            except ValueError:
                alert_id = 0
            if alert_services.alert_acknowledge(user=user, alert_id=alert_id):
                messages.success(request, "Alert acknowledged")
        return redirect("deadlines:alert-list")
    pending, done = alert_inbox(user=user)
    return render(request, "deadlines/alert_list.html", {"pending": pending, "done": done})


# --- Calendar feed ---------------------------------------------------------------------------


# The feed's token travels in the query string (`?key=`), never in the path: the path is what every
# access log records, and the service's logs never hold query strings (docs/security.md "Logs").
FEED_KEY = "key"


def calendar_feed_url(request: HttpRequest, user: User) -> str:
    """The user's private calendar address, as they paste it into Outlook or Google Calendar."""
    query = urlencode({FEED_KEY: user.calendar_token})
    return request.build_absolute_uri(reverse("deadlines:calendar-feed")) + "?" + query


@allow(ALERT_ROLES)
def calendar_subscription(request: SignedInRequest) -> HttpResponse:
    """Shows the user's private calendar address; POST replaces it so the old one stops (issue #5 §5)."""
    user = request.user
    if request.method == "POST":
        calendar_token_regenerate(user=user, by=user)
        messages.success(request, "You have a new calendar address. The old one no longer works.")
        return redirect("deadlines:calendar")
    return render(request, "deadlines/calendar.html", {"feed_url": calendar_feed_url(request, user)})


@login_not_required  # calendar clients have no session: past LoginRequired and RoleRequired
@require_safe
@never_cache
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The user's .ics feed; the private key in the query string is the only credential (issue #5 §5)."""
    token = request.GET.get(FEED_KEY, "")
    user = User.objects.filter(calendar_token=token, is_active=True).first() if token else None
    if user is None:
        raise Http404("No such calendar")
    events = calendar_events(user=user, today=timezone.localdate())
    response = HttpResponse(calendar_ics(events), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="plo-tracker.ics"'
    return response


def _wants_html(request: HttpRequest) -> bool:
    """A browser asks for HTML first; Outlook, Google Calendar and phones ask for text/calendar or */*."""
    return request.headers.get("Accept", "").split(",", 1)[0].strip().lower() == "text/html"


@login_not_required
@require_safe
@never_cache
def calendar_feed_retired(request: HttpRequest, token: str) -> HttpResponse:
    """The old address form (token in the path, so in every access log): never serves a calendar.

    Every token issued under it was replaced (accounts migration 0007), and this answers the same
    whatever the token, so it tells nobody which tokens once existed. A person opening it in a
    browser gets the GOV.UK page saying how to renew the link (410 Gone). A calendar client that
    polls it gets a valid calendar holding one event, today, saying the same: Outlook and Google
    Calendar hide a failing subscription, so an error would leave stale dates on the person's
    calendar with no word why; the notice replaces them and tells them what to do (issue 24 §4)."""
    if _wants_html(request):
        return render(request, "deadlines/calendar_renew.html", status=410)
    notice = CalendarEvent(
        uid="renew-calendar-address",
        day=timezone.localdate(),
        summary=f"{settings.SERVICE_NAME}: this calendar address has stopped working. Get your new one",
        path=reverse("deadlines:calendar"),
    )
    response = HttpResponse(calendar_ics([notice]), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="plo-tracker.ics"'
    return response
