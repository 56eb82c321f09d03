"""The demo council built whole: staff, the closure day, every family scenario, the past year and
the tracker meetings."""

from __future__ import annotations

from collections import Counter

from cases.models import Child, Episode, Family, Stage

from .central import CentralFamilies
from .history import History
from .north import NorthFamilies
from .panels import TrackerMeetings
from .south import SouthFamilies
from .summary import DemoSummary


class _Builder(NorthFamilies, CentralFamilies, SouthFamilies, History, TrackerMeetings):
    """Builds the demo council; one method per family scenario."""

    # --- the build ----------------------------------------------------------------------

    def build(self) -> None:
        """Staff, the closure day, then every family scenario."""
        self.build_staff()
        self.build_calendar()
        for scenario in (
            self.north_letter_due_soon,
            self.north_initial_meeting_overdue,
            self.north_sibling_group_mid,
            self.north_awaiting_decision,
            self.north_proceedings_issued,
            self.north_near_end,
            self.north_nfa,
            self.north_second_episode,
            self.north_issue_at_review,
            self.central_unborn_baby,
            self.central_request_deferred,
            self.central_deferred_then_initiated,
            self.central_extension,
            self.central_step_down_cin,
            self.central_final_hearing_and_permanency,
            self.central_listed,
            self.central_letter_overdue,
            self.south_overrunning,
            self.south_restricted,
            self.south_step_down_cp,
            self.south_decision_overdue,
            self.south_further_lpm_listed,
            self.south_issue_at_lpm,
            self.south_grandparent,
            self.south_recently_issued,
        ):
            scenario()
        self.history()
        self.tracker_meetings()

    # --- summary ------------------------------------------------------------------------

    def summary(self) -> DemoSummary:
        """Counts of what was loaded, and the scenario list."""
        stages = Counter(Episode.objects.values_list("stage", flat=True))
        return DemoSummary(
            today=self.today,
            seed=self.seed,
            teams=len(self.teams),
            staff=len(self.staff),
            families=Family.objects.count() - self.history_count,
            history_families=self.history_count,
            children=Child.objects.count(),
            episodes_by_stage={Stage(s).label: stages.get(s, 0) for s in Stage.values},
            scenarios=self.scenarios,
        )
