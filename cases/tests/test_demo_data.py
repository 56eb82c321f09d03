"""`manage.py demo_data`: the demo council a new user signs in to, and its refusal to touch real data."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from pghistory.models import Context

from accounts.models import ServiceArea, Team, User
from accounts.roles import Role
from cases.demo import DEFAULT_PASSWORD, DEFAULT_SEED, SIGN_INS
from cases.models import Child, EndOutcome, Episode, EpisodeChild, Family, HearingKind, Person, Stage
from conftest import DEMO_TODAY, demo_council_copied, demo_council_summary
from deadlines.models import Alert, ClosureDay, Deadline, DeadlineState, WeeklySnapshot
from deadlines.services import calendar_current
from meetings.models import LegalAdvice, PermanencyPlanningMeeting
from tracker_meetings.models import AgendaItem

pytestmark = pytest.mark.django_db

TODAY = DEMO_TODAY  # Monday 23 November 2026: the day the run's demo council is built for
SIGN_IN = "/accounts/sign-in/"


# What the default demo looked like when this file built it, so that no test builds it twice
# (building it is the slowest step of these tests).
BUILT: dict[int, list[tuple[object, ...]]] = {}


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo council as `manage.py demo_data --today TODAY` built it (once per run, for every
    test that needs it; copied in for the class), and what the command printed. Each test's changes
    roll back; the empty database is put back after the class."""
    with demo_council_copied(django_db_blocker):
        with django_db_blocker.unblock():
            BUILT[DEFAULT_SEED] = _snapshot()
        yield demo_council_summary()


class TestTheDemoCouncil:
    """What someone signing in to a freshly loaded demo sees."""

    def test_the_summary_names_the_council_counts_and_sign_ins(self, demo):
        assert "Northmoor Borough Council demo" in demo
        assert "3 teams" in demo and "25 families" in demo
        assert "and 18 families whose pre-proceedings (or LPM) ended during the past year" in demo
        for member in SIGN_INS:
            assert member.username in demo
        assert DEFAULT_PASSWORD in demo

    @pytest.mark.parametrize("member", SIGN_INS, ids=lambda m: m.username)
    def test_each_demo_sign_in_has_its_role_and_signs_in_with_the_demo_password(self, demo, client, member):
        user = User.objects.get(username=member.username)
        assert user.roles == frozenset({member.role})
        assert user.first_name and user.last_name and user.job_title
        assert user.email.endswith("@northmoor.example")
        assert user.is_staff == (member.role == Role.ADMINISTRATOR)
        response = client.post(SIGN_IN, {"username": member.username, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]

    def test_the_national_return_of_the_demo_council_has_no_problems_to_fix(self, demo):
        from cases.exports import national_records

        clo = User.objects.get(username=next(m.username for m in SIGN_INS if m.role == Role.COURT_LIAISON_OFFICER))
        records = national_records(user=clo, date_from=dt.date(2025, 4, 1), date_to=TODAY, today=TODAY)
        assert records and [(r.family_reference, r.problems) for r in records if r.problems] == []
        assert any(r.issued for r in records)

    def test_three_teams_each_with_a_team_manager_and_social_workers(self, demo):
        teams = list(Team.objects.all())
        assert len(teams) == 3
        for team in teams:
            members = list(team.members.all())
            assert sum(m.has_role(Role.TEAM_MANAGER) for m in members) == 1
            assert sum(m.has_role(Role.SOCIAL_WORKER) for m in members) >= 3
        sam = User.objects.get(username="sam.social")
        tara = User.objects.get(username="tara.manager")
        assert sam.team is not None and sam.team == tara.team and "North" in sam.team.name
        # Every role is held by someone.
        assert {role for user in User.objects.all() for role in user.roles} == set(Role)

    def test_two_service_areas_with_their_managers_and_each_team_its_manager(self, demo):
        north, central, south = (Team.objects.get(name__contains=f" {k} ") for k in ("North", "Central", "South"))
        assert north.service_area == central.service_area != south.service_area
        assert list(north.managers.values_list("username", flat=True)) == ["tara.manager"]
        assert list(south.managers.values_list("username", flat=True)) == ["gareth.pryce"]
        sian = User.objects.get(username="sian.sm")
        nia = User.objects.get(username="nia.vaughan")
        assert set(ServiceArea.objects.filter(managers=sian)) == {north.service_area, south.service_area}
        assert list(ServiceArea.objects.filter(managers=nia)) == [south.service_area]
        assert nia.has_role(Role.SERVICE_MANAGER)

    def test_about_25_families_and_40_children_with_an_unborn_baby_and_a_sibling_group(self, demo):
        # The year's history comes last (families whose pre-proceedings have ended).
        now = Family.objects.filter(pk__in=Family.objects.order_by("pk").values("pk")[:25])
        assert Family.objects.count() == 25 + 18
        assert 35 <= Child.objects.filter(family__in=now).count() <= 45
        unborn = Child.objects.get(date_of_birth__isnull=True)
        assert unborn.expected_date_of_birth is not None and unborn.expected_date_of_birth > TODAY
        assert Family.objects.annotate(n=Count("children")).filter(n__gte=3).exists()
        assert all(f.team.members.filter(pk=f.social_worker_id).exists() for f in Family.objects.select_related("team"))
        assert Family.objects.filter(people__relationship="grandparent", people__parental_responsibility=True).exists()

    def test_every_stage_and_every_end_outcome_is_shown(self, demo):
        assert set(Episode.objects.values_list("stage", flat=True)) == set(Stage.values)
        assert set(Episode.objects.exclude(end_outcome="").values_list("end_outcome", flat=True)) == set(
            EndOutcome.values
        )
        stepped_down = Episode.objects.filter(end_outcome__in=[EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN])
        assert all(e.exit_letter_on for e in stepped_down)
        issued = Episode.objects.filter(proceedings__issued_on__isnull=False)
        assert issued.filter(proceedings__hearings__kind="cmh").exists()
        assert issued.filter(proceedings__hearings__kind="irh").exists()
        assert all(e.proceedings.court_reference for e in issued)
        assert Episode.objects.filter(extensions__isnull=False, ended_on__isnull=True).exists()
        assert LegalAdvice.objects.filter(recorded_by__username="leo.legal").count() >= 5
        assert PermanencyPlanningMeeting.objects.exists()

    def test_the_weekly_tracker_has_a_year_of_history_that_moves(self, demo):
        """52 stored weeks in which families enter and leave pre-proceedings, and the share of
        deadlines met on time and the median length change from week to week (issue 13 §5)."""
        weeks = list(WeeklySnapshot.objects.filter(team__isnull=True).order_by("week_ending"))
        assert len(weeks) == 52
        first_half = weeks[:26]
        assert sum(w.entries for w in first_half) >= 8 and sum(w.exits for w in first_half) >= 5
        assert min(w.open_total for w in first_half[4:]) >= 2, "the first half-year is nearly empty"
        on_time = set()
        for w in weeks:
            met = sum(cell[0] for cell in w.timeliness.values())
            due = sum(sum(cell) for cell in w.timeliness.values())
            if due:
                on_time.add(round(100 * met / due))
        assert len(on_time) >= 6 and min(on_time) < 90, sorted(on_time)
        assert len({w.median_weeks for w in weeks if w.median_weeks}) >= 4
        assert {"nfa", "step_down", "issue"} <= {k for w in weeks for k in w.exits_by_outcome}

    def test_the_years_history_is_finished_so_nothing_of_it_is_live_today(self, demo):
        """The 18 families of the year's history are on no tracker, agenda, caseload or alert:
        their records are closed, care proceedings were heard to the end and nothing is open."""
        history = Family.objects.order_by("pk")[25:]
        assert len(history) == 18 and all(f.closed_on is not None and f.closed_on <= TODAY for f in history)
        assert not Deadline.objects.filter(episode__family__in=history, state=DeadlineState.OPEN).exists()
        assert not Alert.objects.filter(episode__family__in=history).exists()
        assert not AgendaItem.objects.filter(episode__family__in=history).exists()
        in_court = Episode.objects.filter(family__in=history, end_outcome=EndOutcome.ISSUE)
        assert in_court.count() >= 2, "the year's history has care proceedings that concluded"
        for episode in in_court:
            finals = episode.proceedings.hearings.filter(kind=HearingKind.FINAL, hearing_date__lte=TODAY)
            assert finals.exists() and episode.proceedings.final_care_plan

    def test_sam_has_about_five_cases_with_overdue_and_due_soon_deadlines(self, demo):
        calendar = calendar_current()
        soon = calendar.add_working_days(TODAY, 2)
        for owner in ({"social_worker__username": "sam.social"}, {"team_manager__username": "tara.manager"}):
            families = Family.objects.filter(**owner, episodes__ended_on__isnull=True).distinct()
            assert 4 <= families.count() <= 10
            open_deadlines = Deadline.objects.filter(
                episode__family__in=families, episode__ended_on__isnull=True, state=DeadlineState.OPEN
            )
            assert open_deadlines.filter(due_on__lt=TODAY).exists(), "nothing overdue"
            assert open_deadlines.filter(due_on__gte=TODAY, due_on__lte=soon).exists(), "nothing due soon"
        assert Family.objects.filter(social_worker__username="sam.social").count() == 5

    def test_a_restricted_family_is_named_to_a_few_people_only(self, demo):
        family = Family.objects.get(restricted=True)
        named = set(family.restricted_to.values_list("username", flat=True))
        assert 3 <= len(named) <= 6
        assert "helen.hos" in named and "sam.social" not in named

    def test_a_child_is_in_pre_proceedings_for_a_second_time(self, demo):
        repeats = [link for link in EpisodeChild.objects.select_related("episode") if link.is_repeat]
        assert repeats
        assert any(link.episode.is_open for link in repeats)

    def test_the_audit_trail_says_the_demo_wrote_it(self, demo):
        family_event = apps.get_model("cases", "FamilyEvent")
        from_demo = family_event.objects.filter(pgh_context_id__in=Context.objects.filter(metadata__source="demo_data"))
        assert from_demo.values("pgh_obj_id").distinct().count() == Family.objects.count()

    def test_the_court_liaison_officer_sees_last_weeks_tracker_meeting_and_the_coming_panel(self, demo, client):
        from deadlines.models import Alert, AlertKind
        from tracker_meetings.models import MeetingAction, TrackerMeeting, TrackerMeetingKind

        weekly = TrackerMeeting.objects.get(kind=TrackerMeetingKind.WEEKLY)
        assert weekly.meets_on == dt.date(2026, 11, 16) and weekly.held_on == weekly.meets_on
        assert weekly.chair is not None and weekly.chair.username == "helen.hos"
        assert weekly.minutes_drafted_on and weekly.minutes_approved_by is not None
        assert weekly.minutes_circulated_on is not None and weekly.minutes_circulated_on <= TODAY
        assert {"clara.clo", "tara.manager"} <= set(weekly.minutes_recipients.values_list("username", flat=True))
        noted = weekly.items.exclude(note="")
        assert noted.count() == 2 and all(i.decisions for i in noted)
        actions = MeetingAction.objects.filter(item__meeting=weekly, completed_on__isnull=True)
        assert actions.count() == 2 and all(a.owner.has_role(Role.TEAM_MANAGER) for a in actions)
        overdue = actions.get(due_on__lt=TODAY)
        assert Alert.objects.filter(deadline=overdue.deadline, kind=AlertKind.OVERDUE, recipient=overdue.owner).exists()
        panel = TrackerMeeting.objects.get(kind=TrackerMeetingKind.PANEL)
        assert panel.meets_on == dt.date(2026, 11, 25) and panel.held_on is None and panel.items.exists()

        client.force_login(User.objects.get(username="clara.clo"))
        with time_machine.travel(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC), tick=False):
            home = client.get("/").content.decode()
            listed = client.get("/tracker-meetings/").content.decode()
            minutes = client.get(f"/tracker-meetings/{weekly.pk}/minutes/").content.decode()
        assert "Legal gateway panel" in home and "Wed 25 Nov 2026" in home and "Open the agenda" in home
        assert "16 Nov" in listed and "Weekly tracker meeting" in listed
        assert overdue.description in minutes

    def test_a_closure_day_is_coming_up(self, demo):
        assert ClosureDay.objects.filter(date__gt=TODAY, date__lte=TODAY + dt.timedelta(weeks=4)).exists()

    def test_if_empty_leaves_a_loaded_database_alone(self, demo):
        counts = (User.objects.count(), Family.objects.count(), Child.objects.count(), Episode.objects.count())
        out = StringIO()
        call_command("demo_data", "--if-empty", "--today", TODAY.isoformat(), stdout=out)
        call_command("demo_data", "--if-empty", "--today", TODAY.isoformat(), stdout=out)
        assert out.getvalue().count("Demo data not loaded: the database already has families") == 2
        assert (User.objects.count(), Family.objects.count(), Child.objects.count(), Episode.objects.count()) == counts

    def test_without_if_empty_a_loaded_database_is_refused(self, demo):
        families = Family.objects.count()
        with pytest.raises(CommandError, match="already has families"):
            call_command("demo_data", "--today", TODAY.isoformat(), stdout=StringIO())
        assert Family.objects.count() == families


def _snapshot() -> list[tuple[object, ...]]:
    """What the demo looks like to a user: families, children, parents, stages and deadline dates."""
    return [
        *Family.objects.order_by("reference").values_list("reference", "name", "social_worker__username"),
        *Child.objects.order_by("case_system_id").values_list("first_name", "last_name", "date_of_birth"),
        *Person.objects.order_by("family__reference", "id").values_list("full_name", "solicitor_firm"),
        *Episode.objects.order_by("family__reference", "started_on").values_list("stage", "decision_date"),
        # By label: a meeting action's key holds its id, which differs from one load to the next.
        *Deadline.objects.order_by(
            "episode__family__reference", "episode__started_on", "label", "occurrence", "key"
        ).values_list("label", "due_on", "state"),
    ]


def _load(seed: int, *flags: str) -> list[tuple[object, ...]]:
    """Load the demo, snapshot it, and undo it."""
    with transaction.atomic():
        call_command("demo_data", "--today", TODAY.isoformat(), "--seed", str(seed), *flags, stdout=StringIO())
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return snapshot


def test_the_same_seed_and_day_give_the_same_demo_and_another_seed_other_names():
    first = BUILT.get(DEFAULT_SEED) or _load(DEFAULT_SEED)  # the class above built it already
    again, other = _load(DEFAULT_SEED, "--if-empty"), _load(7)
    assert first == again
    assert first != other
    # Another seed changes names, not what each family shows.
    assert [row for row in first if row[0] in Stage.values] == [row for row in other if row[0] in Stage.values]


def test_an_existing_account_with_a_demo_username_is_never_changed(make_user):
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin")
    password = admin.password
    with pytest.raises(CommandError, match=r"demo usernames already exist \(ada.admin\)"):
        call_command("demo_data", "--today", TODAY.isoformat(), stdout=StringIO())
    out = StringIO()
    call_command("demo_data", "--if-empty", "--today", TODAY.isoformat(), stdout=out)
    assert out.getvalue().startswith("Demo data not loaded")
    admin.refresh_from_db()
    assert admin.password == password
    assert not Family.objects.exists() and not Team.objects.filter(name__contains="Family Safeguarding").exists()
