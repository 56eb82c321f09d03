"""The year before today: families whose pre-proceedings began and ended in the last twelve months."""

from __future__ import annotations

import datetime as dt
import random

from cases import services as cs
from cases.models import CareProceedings, EndOutcome, HearingKind
from meetings.models import LPMOutcome

from .steps import Steps, _Case
from .summary import DEFAULT_SEED, HISTORY_FAMILIES


class History(Steps):
    """The weekly tracker's past year (issue 13 §5)."""

    # The year before: families whose pre-proceedings began and ended in the last twelve months, so
    # the weekly tracker's 52 weeks show entries, exits, timeliness and lengths that move (issue 13 §5).
    # Built last, so the families above are the same whatever is added here.

    HISTORY_TEAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("north", ("priya.lakhani", "joe.hartigan", "priya.lakhani")),
        ("central", ("hannah.greaves", "tomasz.wilk", "fatima.begum")),
        ("south", ("ayesha.qureshi", "callum.reid", "rhiannon.pugh")),
    )
    HISTORY_CONCERNS = (
        "neglect",
        "domestic abuse",
        "parental alcohol misuse",
        "parental mental health",
        "home conditions and missed health appointments",
        "physical chastisement",
    )

    def history(self) -> None:
        """HISTORY_FAMILIES families over the past year: an LPM that decided no further action, or
        pre-proceedings that stepped down or went to court at week 12, 15 or after an extension;
        some letters and meetings a few days late. Every one is finished today: care proceedings
        heard to a final hearing at least two weeks ago, and each family's record closed, so the
        tracker, agendas, homes and alerts show none of them."""
        # Its own stream, the same for every seed: the families above are unchanged, and only names vary.
        rng = random.Random(DEFAULT_SEED + 1)  # noqa: S311  # nosec B311: invented demo data, not security
        plans = (  # how it ended, and after how many weeks (the first the NFA's LPM)
            (EndOutcome.NFA, 0),
            (EndOutcome.STEP_DOWN_CP, 15),
            (EndOutcome.ISSUE, 10),
            (EndOutcome.STEP_DOWN_CIN, 13),
            (EndOutcome.STEP_DOWN_CP, 19),
            (EndOutcome.ISSUE, 16),
        )
        for team, workers in self.HISTORY_TEAMS:
            for i in range(HISTORY_FAMILIES // len(self.HISTORY_TEAMS)):
                outcome, weeks = plans[(i + len(team)) % len(plans)]
                weeks += rng.choice((0, 0, 1, 2)) if weeks else 0
                # Decisions spread across the year, each ended at least two weeks ago.
                decision = self.ago(max(51 - (30 * self.history_count) // 17 - rng.randint(0, 1), weeks + 2))
                self.history_count += 1
                case = self.family(
                    team,
                    workers[i % 3],
                    children=[("f" if rng.random() < 0.5 else "m", rng.randint(1, 14))],
                    concern=rng.choice(self.HISTORY_CONCERNS),
                    father="pr_solicitor" if rng.random() < 0.6 else "no_pr",
                )
                if outcome == EndOutcome.NFA:
                    self.to_lpm(case, decision, LPMOutcome.NFA)
                    self.close(case, self.add(decision, 10), "The legal planning meeting decided no further action.")
                    continue
                self.to_lpm(case, decision, LPMOutcome.INITIATE)
                end = self.add(self.plus_weeks(decision, weeks), -1)
                issued = self.add(end, 10)
                if outcome == EndOutcome.ISSUE and self.plus_weeks(issued, 22) > self.ago(2):
                    # Too recent for the court to have finished by now: these parents made the changes
                    # asked of them instead, so no family of the history is still in court today.
                    outcome = EndOutcome.STEP_DOWN_CP
                slip = rng.choice((0, 0, 0, 2, 4, 7))
                self.progress(
                    case,
                    decision,
                    until=end,
                    gateways=(8,) if weeks <= 12 else (8, 12),
                    extension=min(max(weeks - 16, 0), 4),
                    book_ahead=False,
                    slip=slip,
                )
                if outcome == EndOutcome.ISSUE:
                    self.issue(case, end, "No sustained change within the timetable.")
                    proceedings = self.proceedings(
                        case, letter_of_issue=self.add(end, 1), swet=self.add(end, 5), issued=issued
                    )
                    final = self.concluded(proceedings, issued)
                    self.close(
                        case, self.add(final, 5), "Care proceedings concluded: care order made at the final hearing."
                    )
                else:
                    self.step_down(case, outcome, end, end, self.add(end, 3))
                    self.close(case, self.add(end, 10), "Pre-proceedings ended with a step down; exit letter sent.")

    def concluded(self, proceedings: CareProceedings, issued: dt.date) -> dt.date:
        """Care proceedings heard to the end within the 26 weeks: the CMH by day 18, the IRH in
        week 19 and the final hearing in week 22 to 25, held at least two weeks ago. Returns its date."""
        self.hearing(proceedings, HearingKind.CMH, self.calendar.roll_back(issued + dt.timedelta(days=17)))
        self.hearing(proceedings, HearingKind.IRH, self.plus_weeks(issued, 19), "Issues narrowed to the care plan")
        final = min(self.plus_weeks(issued, 25), self.ago(2))
        self.hearing(proceedings, HearingKind.FINAL, final, "Care order made; the care plan approved")
        return final

    def close(self, case: _Case, day: dt.date, reason: str) -> None:
        """The team manager closes the family's record once its PLO journey is over, so it leaves
        the caseloads on the homes (a history family is never on anyone's list today)."""
        case.family.refresh_from_db()
        cs.family_close(
            family=case.family, expected_version=None, closed_on=day, reason=reason, by=case.tm, today=self.today
        )
