"""The pre-action tracker: who sees what, filters, sort, search, exports, printout, query count."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import TeamFactory
from cases import services as cs
from deadlines.exports import safe_cell
from meetings import services as ms
from meetings.models import LPMKind

from .test_scenarios import D, Staff, deliver_letter, family, hold_initial_meeting, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 2, 1)  # Monday, week 4 of an episode that started on Thu 7 Jan 2027
URL = reverse("deadlines:tracker")


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def travel():
    with time_machine.travel(dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def refs(response) -> list[str]:
    html = response.content.decode()
    return [chunk.split('"', 1)[0] for chunk in html.split('data-reference="')[1:]]


def test_the_clo_sees_every_open_episode_but_restricted_families_only_when_named(client_as, people, travel, make_user):
    open_one = start_pre_proceedings(family(people, name="Ashworth family", reference="PLO-00001"), people)
    start_pre_proceedings(family(people, name="Barnes family", reference="PLO-00002", restricted=True), people)
    ended = start_pre_proceedings(family(people, name="Carter family", reference="PLO-00003"), people)
    cs.episode_end(
        episode=ended,
        expected_version=ended.version,
        ended_on=dt.date(2027, 1, 20),
        end_outcome="nfa",
        by=people.tm,
        today=TODAY,
    )
    client = client_as(Role.COURT_LIAISON_OFFICER)
    response = client.get(URL)
    assert response.status_code == 200
    assert refs(response) == ["PLO-00001"]
    body = response.content.decode()
    # Family names in full: a generated staff name (a worker called Carter) may appear in the filters.
    assert "Barnes family" not in body and "Carter family" not in body
    assert "Week 4 of 16" in body
    assert open_one.family.name in body

    # The social worker and team manager are named on the restricted family, so they see it.
    client.force_login(people.tm)
    assert sorted(refs(client.get(URL))) == ["PLO-00001", "PLO-00002"]


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.ADMINISTRATOR])
def test_roles_without_the_tracker_are_refused(client_as, role):
    assert client_as(role).get(URL).status_code == 403


def test_team_managers_see_only_their_teams_and_the_families_they_manage(client_as, people, travel, make_user):
    """Issue 9: a team manager's tracker held every team's cases, though their pages answered 404."""
    other_team = TeamFactory(name="Safeguarding Team South")
    other_tm = make_user(Role.TEAM_MANAGER, team=other_team)
    start_pre_proceedings(family(people, reference="PLO-00010", team=other_team), people)
    other = family(people, reference="PLO-00011", team=other_team)
    other.team_manager = other_tm
    other.save()
    start_pre_proceedings(other, Staff(tm=other_tm, hos=people.hos, sw=people.sw, team=other_team))
    start_pre_proceedings(family(people, reference="PLO-00012"), people)
    # A new team manager of the first team: their team's case only.
    assert refs(client_as(Role.TEAM_MANAGER).get(URL)) == ["PLO-00012"]
    # The first team's manager also manages PLO-00010 in the other team; never PLO-00011.
    client = client_as(Role.TEAM_MANAGER)
    client.force_login(people.tm)
    assert refs(client.get(URL)) == ["PLO-00010", "PLO-00012"]


def test_rows_show_the_episode_and_its_rag_status(client_as, people, travel):
    late = start_pre_proceedings(family(people, name="Late family", reference="PLO-00020"), people)
    on_time = start_pre_proceedings(family(people, name="Prompt family", reference="PLO-00021"), people)
    for episode in (late, on_time):
        lpm = episode.lpms.get()
        ms.lpm_update(
            lpm=lpm,
            expected_version=lpm.version,
            minutes_circulated_on=dt.date(2027, 1, 8),
            by=people.tm,
            today=TODAY,
        )
    deliver_letter(on_time, people, on=dt.date(2027, 1, 12), today=TODAY)
    hold_initial_meeting(on_time, people, on=dt.date(2027, 1, 22), today=TODAY)
    client = client_as(Role.COURT_LIAISON_OFFICER)
    response = client.get(URL)
    rows = {r.reference: r for r in response.context["rows"]}
    # Late family: the letter (due Thu 14 Jan) was never delivered.
    assert rows["PLO-00020"].rag == "red"
    assert rows["PLO-00020"].letter_delivered is None
    assert rows["PLO-00021"].letter_delivered == dt.date(2027, 1, 12)
    assert rows["PLO-00021"].initial_meeting == dt.date(2027, 1, 22) and rows["PLO-00021"].initial_meeting_held
    assert rows["PLO-00021"].week == 4 and rows["PLO-00021"].of_weeks == 16
    assert rows["PLO-00021"].decision_date == D
    # Red first.
    assert refs(response)[0] == "PLO-00020"


def test_filters_search_and_sort(client_as, people, travel, make_user):
    other_team = TeamFactory.create(name="Safeguarding Team South")
    other_sw = make_user(Role.SOCIAL_WORKER, team=other_team, first_name="Olive", last_name="Other")
    start_pre_proceedings(
        family(people, name="Ashworth family", reference="PLO-00031", children=(("Amy", "Ashworth"),)), people
    )
    start_pre_proceedings(
        family(
            people,
            name="Brown family",
            reference="PLO-00032",
            children=(("Zara", "Brown"), ("Leo", "Brown")),
            sw=other_sw,
            team=other_team,
        ),
        people,
    )
    client = client_as(Role.COURT_LIAISON_OFFICER)
    assert refs(client.get(URL, {"team": other_team.pk})) == ["PLO-00032"]
    assert refs(client.get(URL, {"worker": people.sw.pk})) == ["PLO-00031"]
    assert refs(client.get(URL, {"q": "zara"})) == ["PLO-00032"]
    assert refs(client.get(URL, {"q": "Amy Ashworth"})) == ["PLO-00031"]
    assert refs(client.get(URL, {"q": "00032"})) == ["PLO-00032"]
    assert refs(client.get(URL, {"q": "ashworth fam"})) == ["PLO-00031"]
    child_id = client.get(URL).context["rows"][0].children[0][1]
    assert len(refs(client.get(URL, {"q": child_id}))) == 1
    assert refs(client.get(URL, {"stage": "proceedings"})) == []
    assert sorted(refs(client.get(URL, {"stage": "pre_proceedings"}))) == ["PLO-00031", "PLO-00032"]
    assert refs(client.get(URL, {"status": "green"})) == []
    assert sorted(refs(client.get(URL, {"status": "red"}))) == ["PLO-00031", "PLO-00032"]
    assert refs(client.get(URL, {"sort": "family", "dir": "desc"})) == ["PLO-00032", "PLO-00031"]
    assert refs(client.get(URL, {"sort": "family", "dir": "asc"})) == ["PLO-00031", "PLO-00032"]
    assert refs(client.get(URL, {"sort": "worker"})) == ["PLO-00032", "PLO-00031"]  # Olive before Sam
    # A nonsense value in one filter is ignored, not an error.
    assert sorted(refs(client.get(URL, {"team": "nope", "q": "family"}))) == ["PLO-00031", "PLO-00032"]


# What each sortable column shows, read straight off the row (not through the view's own sort keys).
COLUMN_VALUES = {
    "rag": lambda r: ["red", "amber", "green"].index(r.rag),
    "family": lambda r: r.family_name.lower(),
    "worker": lambda r: r.social_worker.lower(),
    "week": lambda r: r.week,
    "decision": lambda r: r.decision_date,
    "next_meeting": lambda r: r.next_meeting,
    "next_due": lambda r: r.next_due,
    "assessments": lambda r: r.assessments_outstanding,
}


def test_every_column_sorts(client_as, people, travel, make_user):
    """Each column's link orders the rows by what that column shows, empty cells last, both ways."""
    south = TeamFactory.create(name="Safeguarding Team South")
    olive = make_user(Role.SOCIAL_WORKER, team=south, first_name="Olive", last_name="Other")
    kai = make_user(Role.SOCIAL_WORKER, first_name="Kai", last_name="Keane")
    first = start_pre_proceedings(
        family(people, name="Carter family", reference="PLO-00043", children=(("Cy", "Carter"),)),
        people,
        decision=D - dt.timedelta(days=7),
    )
    second = start_pre_proceedings(
        family(
            people,
            name="Ashworth family",
            reference="PLO-00041",
            children=(("Amy", "Ashworth"), ("Zed", "Ashworth")),
            sw=olive,
            team=south,
        ),
        people,
    )
    start_pre_proceedings(
        family(people, name="Brown family", reference="PLO-00042", children=(("Bo", "Brown"),), sw=kai),
        people,
        decision=D + dt.timedelta(days=7),
    )
    deliver_letter(first, people, on=dt.date(2027, 1, 5))
    # The south family's own social worker records its steps (services check who may change a case).
    deliver_letter(second, Staff(tm=people.tm, hos=people.hos, sw=olive, team=south), on=dt.date(2027, 1, 12))
    hold_initial_meeting(first, people, on=dt.date(2027, 1, 18), today=TODAY)
    cs.assessment_create(
        episode=second,
        kind="parenting",
        provider="Parenting Co",
        instructed_on=dt.date(2027, 1, 12),
        due_on=dt.date(2027, 3, 1),
        by=olive,
        today=TODAY,
    )
    client = client_as(Role.COURT_LIAISON_OFFICER)

    links = client.get(URL).context["sort_links"]
    assert {link["key"] for link in links} == set(COLUMN_VALUES)
    varied = set()
    for link in links:
        key, shown = link["key"], COLUMN_VALUES[link["key"]]
        ascending = [shown(r) for r in client.get(URL + link["href"]).context["rows"]]
        descending = [shown(r) for r in client.get(URL, {"sort": key, "dir": "desc"}).context["rows"]]
        for values, backwards in ((ascending, False), (descending, True)):
            present = [v for v in values if v is not None]
            assert values == present + [None] * (len(values) - len(present)), (key, values)  # empty cells last
            assert present == sorted(present, reverse=backwards), (key, backwards, values)
        if len({v for v in ascending if v is not None}) > 1:
            varied.add(key)
    # The three families differ in these columns, so each of them really was put in order.
    assert varied >= {"family", "worker", "week", "decision", "next_due", "assessments"}


def test_csv_and_xlsx_exports_escape_formulas_and_leave_out_legal_advice(client_as, people, travel):
    fam = family(people, name='=HYPERLINK("http://evil")', reference="PLO-00051", children=(("+Amy", "-Bad"),))
    episode = start_pre_proceedings(fam, people)
    ms.legal_advice_record(lpm=episode.lpms.get(), advice="PRIVILEGED ADVICE TEXT", by=people.hos)
    client = client_as(Role.COURT_LIAISON_OFFICER)

    response = client.get(reverse("deadlines:tracker-export", args=["csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Family reference"
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    assert rows[1][2].startswith("'+Amy -Bad")
    assert "PRIVILEGED" not in text

    from openpyxl import load_workbook

    response = client.get(reverse("deadlines:tracker-export", args=["xlsx"]), {"q": "PLO-00051"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == "PLO-00051"
    assert values[1][1] == '\'=HYPERLINK("http://evil")'
    assert isinstance(values[1][6], dt.datetime) and values[1][6].date() == D  # a real date cell
    assert not any("PRIVILEGED" in str(v) for row in values for v in row)
    assert sheet.freeze_panes == "A2"  # the header stays put when scrolling
    assert sheet.auto_filter.ref == f"A1:X{sheet.max_row}"  # a filter on every column
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert widths["A"] >= len("Family reference") and all(8 <= w <= 50 for w in widths.values())

    assert client.get(reverse("deadlines:tracker-export", args=["pdf"])).status_code == 404
    for page in (URL, reverse("deadlines:tracker-print")):
        html = client.get(page).content.decode()
        assert "PLO-00051" in html and "PRIVILEGED" not in html
        assert "=HYPERLINK(&quot;http://evil&quot;)" in html  # escaped, never markup


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44", "'+44"),
        ("-2", "'-2"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok", "ok"),
        # Hidden bidirectional and control characters go, and cannot hide a formula (issue 9).
        ("\u202e=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("Smith\u202e\u2066", "Smith"),
        ("a\x00b\x1bc", "abc"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
    assert safe_cell(3) == 3


def test_the_printable_view_lists_the_same_rows(client_as, people, travel):
    start_pre_proceedings(family(people, reference="PLO-00061"), people)
    client = client_as(Role.COURT_LIAISON_OFFICER)
    response = client.get(reverse("deadlines:tracker-print"), {"q": "PLO-00061"})
    assert response.status_code == 200
    assert refs(response) == ["PLO-00061"]
    assert b"<h1" in response.content and b"style=" not in response.content and b"<script>" not in response.content


def _episodes(people, count: int, start: int) -> None:
    for i in range(count):
        episode = start_pre_proceedings(
            family(people, reference=f"PLO-{start + i:05d}", children=(("Amy", "A"), ("Ben", "B"))), people
        )
        if i % 2:
            deliver_letter(episode, people, on=dt.date(2027, 1, 12), today=TODAY)
        if i % 3 == 0:
            ms.lpm_list(episode=episode, panel_date=dt.date(2027, 3, 4), kind=LPMKind.REVIEW, by=people.tm, today=TODAY)


def test_the_tracker_runs_the_same_number_of_queries_for_3_and_12_episodes(client_as, people, travel):
    client = client_as(Role.COURT_LIAISON_OFFICER)
    _episodes(people, 3, 100)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(URL).context["rows"]) == 3
    _episodes(people, 9, 200)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(URL).context["rows"]) == 12
    assert len(small) == len(large)


# Incl. session, user, roles, the calendar, header count and filter choices (2); the session is not
# written (it is renewed at most once a minute).
# The screen reads the ordering keys of every row in scope, then the five row queries for its page;
# the exports read the five for every row.
TRACKER_QUERIES = 13
TRACKER_EXPORT_QUERIES = 12


@pytest.mark.parametrize("count", [3, 12])
def test_tracker_query_count_is_pinned(client_as, people, travel, django_assert_max_num_queries, count):
    client = client_as(Role.COURT_LIAISON_OFFICER)
    _episodes(people, count, 300)
    with django_assert_max_num_queries(TRACKER_QUERIES):
        response = client.get(URL)
    assert len(response.context["rows"]) == count
    for fmt in ("csv", "xlsx"):
        with django_assert_max_num_queries(TRACKER_EXPORT_QUERIES):
            client.get(reverse("deadlines:tracker-export", args=[fmt]))


# --- A page at a time (issue 14) ----------------------------------------------------------------


@pytest.fixture
def two_a_page(monkeypatch):
    """Pages of two rows, so a handful of episodes makes several pages."""
    monkeypatch.setattr("deadlines.selectors.tracker.PAGE_SIZE", 2)


def _five(people) -> list[str]:
    """Five open episodes; PLO-00502 and PLO-00504 have their letter delivered (so they differ in RAG)."""
    _episodes(people, 5, 501)
    return [f"PLO-{n:05d}" for n in range(501, 506)]


def test_the_tracker_shows_a_page_at_a_time_with_the_next_rows_on_the_next_page(client_as, people, travel, two_a_page):
    _five(people)
    client = client_as(Role.COURT_LIAISON_OFFICER)
    # The printable view still lists every row, in the screen's order.
    everything = refs(client.get(reverse("deadlines:tracker-print")))
    assert len(everything) == 5
    first = client.get(URL)
    assert refs(first) == everything[:2]
    body = first.content.decode()
    assert "Showing 1–2 of 5 episodes, 2 a page" in body
    assert "5 open episodes" in body
    # The red/amber/green figures count the whole table, not the page.
    assert sum(first.context["counts"].values()) == 5
    assert 'aria-current="page">1</a>' in body and "?page=2" in body and 'rel="next"' in body
    assert 'rel="prev"' not in body
    second = client.get(URL, {"page": 2})
    assert refs(second) == everything[2:4]
    assert "Showing 3–4 of 5 episodes" in second.content.decode()
    last = client.get(URL, {"page": 3})
    assert refs(last) == everything[4:]
    assert 'rel="next"' not in last.content.decode() and 'rel="prev"' in last.content.decode()
    # A page past the end shows the last; a page that is not a number shows the first.
    assert refs(client.get(URL, {"page": 99})) == everything[4:]
    assert refs(client.get(URL, {"page": "x"})) == everything[:2]


@pytest.mark.parametrize("sort", ["family", "children"])  # a sort on the keys, and one on full rows
def test_pages_keep_the_filters_and_the_sort(client_as, people, travel, two_a_page, sort):
    _five(people)
    client = client_as(Role.COURT_LIAISON_OFFICER)
    query = {"q": "PLO-005", "sort": sort, "dir": "desc"}
    everything = refs(client.get(reverse("deadlines:tracker-print"), query))
    first = client.get(URL, query)
    nav = first.context["pagination"]
    assert [item.get("number") for item in nav["items"]] == [1, 2, 3]
    # Every page link carries the search, the sort and its direction.
    for item in nav["items"]:
        assert "q=PLO-005" in item["href"] and f"sort={sort}" in item["href"] and "dir=desc" in item["href"]
    assert refs(client.get(URL + nav["next"])) == everything[2:4]
    assert refs(first) + refs(client.get(URL + nav["next"])) + refs(client.get(URL, {**query, "page": 3})) == everything
    # A column's sort link starts again at page 1; the downloads never carry the page.
    second = client.get(URL, {**query, "page": 2})
    assert all("page=" not in link["href"] for link in second.context["sort_links"])
    assert "page=" not in second.context["query"]
    # A filter narrows what is paged: one match, one page, no page links.
    only = client.get(URL, {"q": "PLO-00503"})
    assert refs(only) == ["PLO-00503"] and only.context["pagination"] is None


def test_exports_and_the_printout_hold_every_row_whatever_the_page(client_as, people, travel, two_a_page):
    expected = _five(people)
    client = client_as(Role.COURT_LIAISON_OFFICER)
    csv_rows = list(
        csv.reader(io.StringIO(client.get(reverse("deadlines:tracker-export", args=["csv"])).content.decode()))
    )
    assert sorted(r for row in csv_rows[1:] for r in row if r.startswith("PLO-")) == expected
    assert sorted(refs(client.get(reverse("deadlines:tracker-print"), {"page": 2}))) == expected
    assert "The printable view and the downloads hold all 5" in client.get(URL).content.decode()


def test_a_team_managers_pages_hold_only_her_teams_cases(client_as, people, travel, make_user, two_a_page):
    mine = _five(people)
    other_team = TeamFactory(name="Safeguarding Team South")
    other_tm = make_user(Role.TEAM_MANAGER, team=other_team)
    other_sw = make_user(Role.SOCIAL_WORKER, team=other_team)
    south = Staff(tm=other_tm, hos=people.hos, sw=other_sw, team=other_team)
    for n in range(601, 604):
        fam = family(people, reference=f"PLO-{n:05d}", sw=other_sw, team=other_team)
        fam.team_manager = other_tm
        fam.save()
        start_pre_proceedings(fam, south)
    client = client_as(Role.TEAM_MANAGER)
    client.force_login(people.tm)
    first = client.get(URL)
    assert "of 5 episodes" in first.content.decode()
    seen = refs(first) + refs(client.get(URL, {"page": 2})) + refs(client.get(URL, {"page": 3}))
    assert sorted(seen) == mine
    client.force_login(other_tm)
    assert sorted(refs(client.get(URL)) + refs(client.get(URL, {"page": 2}))) == ["PLO-00601", "PLO-00602", "PLO-00603"]


def test_every_field_can_be_sorted_on_from_the_form():
    from deadlines.forms import SORT_LABELS
    from deadlines.selectors.tracker import SORT_KEYS

    assert set(SORT_LABELS) == set(SORT_KEYS)


def test_with_a_team_chosen_the_social_worker_list_holds_that_teams_workers(client_as, people, travel, make_user):
    """Issue 14: a regional service has hundreds of social workers; a team's page lists its own."""
    south = TeamFactory.create(name="Safeguarding Team South")
    olive = make_user(Role.SOCIAL_WORKER, team=south, first_name="Olive", last_name="Other")
    client = client_as(Role.COURT_LIAISON_OFFICER)

    def listed(**query) -> set[str]:
        return {label for _, label in client.get(URL, query).context["form"].fields["worker"].choices if label}

    everyone = listed()
    assert {"Olive Other", "Sam Worker"} <= everyone
    assert "Sam Worker" in listed(team=people.team.pk) and "Olive Other" not in listed(team=people.team.pk)
    assert "Olive Other" in listed(team=south.pk) and "Sam Worker" not in listed(team=south.pk)
    # A worker already chosen stays chosen (and listed) when the team changes: no filter is lost.
    kept = client.get(URL, {"team": south.pk, "worker": people.sw.pk})
    assert not kept.context["form"].errors and "Sam Worker" in listed(team=south.pk, worker=people.sw.pk)
    assert olive.pk in {w.pk for w in kept.context["form"].fields["worker"].queryset}


# --- The figures of each row, written as SQL subqueries (issue 14) ------------------------------


def test_each_rows_figures_fall_on_the_right_side_of_today(people, travel):
    """A deadline due today is due (amber), not overdue; one due yesterday is overdue (red). The
    assessment counts and agreed extensions add up as the row shows them."""
    from deadlines.models import Deadline
    from deadlines.selectors.tracker import tracker_page, tracker_rows
    from deadlines.services import calendar_current

    due_today = start_pre_proceedings(family(people, reference="PLO-00701"), people)
    late = start_pre_proceedings(family(people, reference="PLO-00702"), people)
    yesterday = TODAY - dt.timedelta(days=1)
    for due, done in ((yesterday, None), (TODAY, None), (TODAY - dt.timedelta(days=3), yesterday)):
        cs.assessment_create(
            episode=late, by=people.sw, today=TODAY, kind="parenting", provider="Family Assessment Service",
            instructed_on=D, due_on=due, completed_on=done,
        )  # fmt: skip
    for weeks in (2, 1):
        cs.extension_agree(
            episode=late, weeks=weeks, agreed_on=TODAY, rationale="Assessment", by=people.hos, today=TODAY
        )
    # Every open dated deadline moved well ahead, then the first one or two brought to the dates tested.
    for episode, dates in ((due_today, [TODAY]), (late, [yesterday, TODAY])):
        open_ids = list(
            Deadline.objects.filter(episode=episode, state="open", due_on__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)
        )
        Deadline.objects.filter(pk__in=open_ids).update(due_on=TODAY + dt.timedelta(days=60))
        for pk, due in zip(open_ids, dates, strict=False):
            Deadline.objects.filter(pk=pk).update(due_on=due)

    calendar = calendar_current()
    rows = {r.reference: r for r in tracker_rows(user=people.tm, today=TODAY, calendar=calendar)}
    due_row, late_row = rows["PLO-00701"], rows["PLO-00702"]
    assert (due_row.rag, due_row.overdue_count, due_row.soon_count, due_row.next_due) == ("amber", 0, 1, TODAY)
    assert (late_row.rag, late_row.overdue_count, late_row.soon_count, late_row.next_due) == ("red", 1, 1, yesterday)
    assert (late_row.assessments_outstanding, late_row.assessments_overdue) == (2, 1)
    assert (due_row.assessments_outstanding, due_row.assessments_overdue) == (0, 0)
    assert (late_row.extension_weeks, late_row.of_weeks, due_row.of_weeks) == (3, 19, 16)
    # The page's counts come from the cheaper keys query: they agree with the full rows.
    assert tracker_page(user=people.tm, today=TODAY, calendar=calendar).counts == {"red": 1, "amber": 1, "green": 0}
