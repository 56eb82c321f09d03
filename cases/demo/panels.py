"""The demo's tracker meetings: last week's weekly meeting, minuted, and the next panel set up."""

from __future__ import annotations

import datetime as dt

from deadlines.services import deadlines_recompute_pending

from .staff import TEAM_MANAGER_OF_TEAM
from .steps import Steps


class TrackerMeetings(Steps):
    """What the court liaison officer runs each week."""

    # Tracker meetings (000, 004): what the court liaison officer runs each week.

    def tracker_meetings(self) -> None:
        """Last week's weekly tracker meeting, held and its minutes approved and circulated, with
        notes on two cases and an action for each case's team manager (one already overdue, so it
        alerts); and the next legal gateway panel set up, its agenda built, papers awaited."""
        from tracker_meetings import services as ts
        from tracker_meetings.models import TrackerMeetingKind
        from tracker_meetings.selectors import minutes_staff
        from tracker_meetings.today import next_panel_day

        deadlines_recompute_pending()  # the agenda is built from the tracker's deadlines
        clo, hos, ben = self.staff["clara.clo"], self.staff["helen.hos"], self.staff["ben.support"]
        monday = self.today - dt.timedelta(days=self.today.weekday())
        held = monday - dt.timedelta(weeks=1)
        while not self.calendar.is_working_day(held):
            held += dt.timedelta(days=1)
        meeting = ts.tracker_meeting_prepare(
            kind=TrackerMeetingKind.WEEKLY, meets_on=held, starts_at=None, by=clo, today=held, calendar=self.calendar
        )
        meeting = ts.tracker_meeting_hold(
            meeting=meeting,
            expected_version=None,
            held_on=held,
            chair=hos,
            attendees="Helen Carrow, Head of Service (chair)\nClara Ashdown, Court Liaison Officer\n"
            "Leo Farrant, Legal Services\nBen Oyelaran, Business Support (minutes)",
            by=clo,
            today=self.today,
        )
        items = [
            i
            for i in meeting.items.select_related("episode__family__team_manager").order_by("position")
            if i.episode.family.team_manager is not None and not i.episode.family.restricted
        ][:2]
        notes = (
            ("Letter before proceedings not yet delivered to the father; the social worker is chasing "
             "his new address.", "Team manager to make sure the letter is delivered by hand.", 2),
            ("Parenting assessment report is late; the assessor has asked for two more weeks.",
             "Team manager to agree the new report date with the assessor and tell legal.", 12),
        )  # fmt: skip
        for item, (note, decisions, due_in) in zip(items, notes, strict=False):
            ts.agenda_item_record(
                item=item, expected_version=None, note=note, decisions=decisions, review_on=None, legal_advice=None,
                by=clo,
            )  # fmt: skip
            # The first is due two working days after the meeting: overdue now, so its owner is alerted.
            owner = item.episode.family.team_manager
            assert owner is not None  # noqa: S101  (chosen above)
            ts.meeting_action_add(
                item=item, description=decisions.removeprefix("Team manager to ").capitalize(),
                owner=owner, due_on=self.add(held, due_in), by=clo,
            )  # fmt: skip
        recipients = minutes_staff().filter(
            username__in=["clara.clo", "helen.hos", "adam.ad", "leo.legal", *TEAM_MANAGER_OF_TEAM.values()]
        )
        ts.tracker_meeting_minutes_record(
            meeting=meeting, expected_version=None, by=ben, recipients=list(recipients), today=self.today,
            minutes_drafted_on=self.add(held, 1), minutes_drafted_by=ben,
            minutes_approved_on=self.add(held, 2), minutes_approved_by=hos,
            minutes_circulated_on=self.add(held, 3),
        )  # fmt: skip
        ts.tracker_meeting_prepare(
            kind=TrackerMeetingKind.PANEL, meets_on=next_panel_day(self.today, self.calendar), starts_at=None,
            by=clo, today=self.today, calendar=self.calendar,
        )  # fmt: skip
