"""Writes for alerts (issue #5 §1, §6) and the private calendar feed address (§5).

The daily scan is one set-based INSERT ... SELECT: the database works out every alert due today
and inserts only the ones that do not exist yet, so it takes the same few queries for ten
deadlines or a hundred thousand, and a second run (or two beats at once) creates nothing.
Scans run one at a time under an advisory lock and insert in the `alert_once` key's order, so two
at once neither deadlock nor duplicate (deadlines/locking.py says why; the unique constraint is
the last word).

Who is told (the rules the issue left open are marked "RULE"):

* due soon (the policy's `due_soon_working_days`), due today, overdue: every open deadline with
  a due date in an open episode, to the person responsible (the deadline's named owner, for an
  action set at a tracker meeting; otherwise social_worker -> the family's
  social worker; team_manager -> the family's team manager, or its social worker if it has
  none; any other role -> the family's social worker) and to the family's team manager;
* escalation: overdue by more than 5 working days -> every head of service;
* overrun (a policy rule: the policy's `[escalations.overrun]`, e.g. 004 "the Chair of Legal
  Gateway Panel will escalate to the Assistant Director"): not raised by this scan but by
  deadlines/forecast.py each time an episode's dates are recomputed (every recorded change, and
  the daily recompute before this scan), from the current forecast, so an extension or a
  rebooked meeting raises or clears it at once -> every head of service and/or assistant
  director, as the policy's `to` says, once per end date;
* repeat episode (the policy's `[escalations.repeat_episode]`, 004 "Second period of
  Pre-Proceedings"): an open episode that has reached pre-proceedings (decision date set) with a
  child whose `earlier_episodes` > 0 -> every assistant director (as `to` says), once per episode;
* RULE restricted families: an alert about a restricted family goes only to people named on it;
  inactive accounts get nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.scopes import PRIVILEGED_DEADLINE_KEYS
from cases.models import Episode, EpisodeChild, Family
from deadlines.scopes import alerts_visible_to
from plo_tracker.outbox import outbox_enqueue

from .engine import WorkingCalendar
from .locking import job_lock
from .models import Alert, AlertKind, AlertScanSnapshot, Deadline, DeadlineState
from .screens import policy_facts, policy_names

logger = logging.getLogger(__name__)

ESCALATE_AFTER_WORKING_DAYS = 5
EMAIL_BATCH = 5000


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one run of the daily scan did (counts only: logs carry no personal data)."""

    today: dt.date
    skipped: bool
    created: int
    #: A re-run of a day whose full scan read exactly what is there now: nothing to work out.
    unchanged: bool = False


def _tables() -> dict[str, str]:
    from django.contrib.auth.models import Group

    from accounts.models import User

    qn = connection.ops.quote_name
    return {
        "deadline": qn(Deadline._meta.db_table),
        "episode": qn(Episode._meta.db_table),
        "family": qn(Family._meta.db_table),
        "restricted": qn(Family.restricted_to.through._meta.db_table),
        "episode_child": qn(EpisodeChild._meta.db_table),
        "alert": qn(Alert._meta.db_table),
        "user": qn(User._meta.db_table),
        "user_groups": qn(User.groups.through._meta.db_table),
        "group": qn(Group._meta.db_table),
    }


# Table names come from the models' _meta (never from input); every value is a parameter.
_SCAN_SQL = """
WITH pol(name, soon_before, repeat_ad) AS (VALUES {policy_values}),
hos AS (
    SELECT ug.user_id AS id FROM {user_groups} ug JOIN {group} g ON g.id = ug.group_id WHERE g.name = %(hos)s
),
ads AS (
    SELECT ug.user_id AS id FROM {user_groups} ug JOIN {group} g ON g.id = ug.group_id WHERE g.name = %(ad)s
),
cand AS (
    SELECT d.id AS deadline_id, d.episode_id, d.due_on, d.responsible_role, d.owner_id, d.key,
           f.social_worker_id, f.team_manager_id
    FROM {deadline} d
    JOIN {episode} e ON e.id = d.episode_id
    JOIN {family} f ON f.id = e.family_id
    LEFT JOIN pol ON pol.name = e.policy_name
    WHERE d.state = %(open)s AND d.due_on IS NOT NULL AND e.ended_on IS NULL
      AND d.due_on < COALESCE(pol.soon_before, %(default_soon)s)
      -- The latest horizon of any policy, as a plain bound: the (state, due_on) index then reads
      -- only the deadlines that can raise an alert, not every open one (issue #14 §2).
      AND d.due_on < %(any_soon)s
),
raised(episode_id, deadline_id, kind, recipient_id, due_on) AS (
    SELECT c.episode_id, c.deadline_id,
           CASE WHEN c.due_on < %(today)s THEN %(overdue)s
                WHEN c.due_on = %(today)s THEN %(due_today)s
                ELSE %(due_soon)s END,
           r.recipient_id, c.due_on
    FROM cand c
    CROSS JOIN LATERAL (VALUES
        -- A deadline that reveals legal advice goes to the case's team manager, who may read it
        -- (accounts.scopes PRIVILEGED_DEADLINE_KEYS), never to the social worker or another owner.
        (CASE WHEN c.key = ANY(%(privileged)s) THEN c.team_manager_id
              WHEN c.owner_id IS NOT NULL THEN c.owner_id
              WHEN c.responsible_role = %(tm_role)s THEN COALESCE(c.team_manager_id, c.social_worker_id)
              ELSE c.social_worker_id END),
        (c.team_manager_id)
    ) AS r(recipient_id)
    WHERE r.recipient_id IS NOT NULL
  UNION ALL
    SELECT c.episode_id, c.deadline_id, %(escalation)s, hos.id, c.due_on
    FROM cand c CROSS JOIN hos
    WHERE c.due_on < %(escalate_before)s
  UNION ALL
    SELECT e.id, NULL::bigint, %(repeat)s, ads.id, NULL::date
    FROM {episode} e JOIN pol ON pol.name = e.policy_name AND pol.repeat_ad CROSS JOIN ads
    WHERE e.ended_on IS NULL AND e.decision_date IS NOT NULL
      AND EXISTS (SELECT 1 FROM {episode_child} ec WHERE ec.episode_id = e.id AND ec.earlier_episodes > 0)
),
inserted AS (
INSERT INTO {alert} (episode_id, deadline_id, kind, recipient_id, due_on, raised_on, created_at)
SELECT DISTINCT r.episode_id, r.deadline_id, r.kind, r.recipient_id, r.due_on, %(today)s, now()
FROM raised r
JOIN {user} u ON u.id = r.recipient_id AND u.is_active
JOIN {episode} e ON e.id = r.episode_id
JOIN {family} f ON f.id = e.family_id
WHERE (NOT f.restricted
       OR EXISTS (SELECT 1 FROM {restricted} rt WHERE rt.family_id = f.id AND rt.user_id = r.recipient_id))
  AND NOT EXISTS (SELECT 1 FROM {alert} a
                  WHERE a.episode_id = r.episode_id AND a.kind = r.kind AND a.recipient_id = r.recipient_id
                    AND a.deadline_id IS NOT DISTINCT FROM r.deadline_id
                    AND a.due_on IS NOT DISTINCT FROM r.due_on)
-- In the order of the alert_once key, as every alert writer inserts (deadlines/locking.py).
ORDER BY r.episode_id, r.deadline_id, r.kind, r.recipient_id, r.due_on
ON CONFLICT DO NOTHING
RETURNING id
){record}
SELECT count(*) FROM inserted
"""


def _scan_statement(today: dt.date, calendar: WorkingCalendar) -> tuple[str, dict[str, Any]]:
    names = policy_names()
    params: dict[str, Any] = {
        "today": today,
        "open": DeadlineState.OPEN.value,
        "overdue": AlertKind.OVERDUE.value,
        "due_today": AlertKind.DUE_TODAY.value,
        "due_soon": AlertKind.DUE_SOON.value,
        "escalation": AlertKind.ESCALATION.value,
        "repeat": AlertKind.REPEAT_EPISODE.value,
        "tm_role": Role.TEAM_MANAGER.value,
        "privileged": list(PRIVILEGED_DEADLINE_KEYS),
        "hos": Role.HEAD_OF_SERVICE.label,
        "ad": Role.ASSISTANT_DIRECTOR.label,
        # Overdue by more than 5 working days: due before the 5th working day before today.
        "escalate_before": calendar.add_working_days(today, -ESCALATE_AFTER_WORKING_DAYS),
        "default_soon": _soon_before(today, calendar, settings.PLO_POLICY),
    }
    values = []
    for i, name in enumerate(names):
        facts = policy_facts(name)
        params[f"pol_name_{i}"] = name
        params[f"pol_soon_{i}"] = _soon_before(today, calendar, name)
        params[f"pol_rad_{i}"] = Role.ASSISTANT_DIRECTOR.value in facts.repeat_to
        values.append(f"(%(pol_name_{i})s, %(pol_soon_{i})s::date, %(pol_rad_{i})s)")
    params["any_soon"] = max([params["default_soon"], *(params[f"pol_soon_{i}"] for i in range(len(names)))])
    sql = _SCAN_SQL.format(policy_values=", ".join(values), record="{record}", **_tables())
    return sql, params


def _soon_before(today: dt.date, calendar: WorkingCalendar, name: str) -> dt.date:
    return calendar.add_working_days(today, policy_facts(name).due_soon_working_days + 1)


# --- A re-run that finds nothing changed ----------------------------------------------------------
# Working out every candidate alert costs about a tenth of the first run of the day at 500,000
# deadlines, only to find them all raised. The first full scan of a day stores its snapshot; a
# re-run of the day (a second beat, a catch-up, a worker starting) skips the work when no
# transaction that wrote a table the scan reads is missing from that snapshot. Every such
# transaction leaves its id in deadlines_alertinputchange (migration 0005). Snapshots, not
# timestamps: a change made before the first scan but committed after it is not in its snapshot,
# so the next re-run does the full scan. The fingerprint (statement and parameters) covers a
# changed calendar, policy or release. The scan's own transaction counts as a change when it had
# written before taking the snapshot (a catch-up inside a larger transaction, a test).

_UNCHANGED_SQL = """
SELECT EXISTS (
           SELECT 1 FROM {scan} s
           WHERE s.day = %(today)s AND s.fingerprint = %(fingerprint)s
             AND NOT EXISTS (
                 SELECT 1 FROM deadlines_alertinputchange c
                 WHERE c.xid >= pg_snapshot_xmin(s.snapshot::pg_snapshot)
                   AND (NOT pg_visible_in_snapshot(c.xid, s.snapshot::pg_snapshot)
                        OR c.xid = NULLIF(s.own_xid, '')::xid8))),
       pg_current_snapshot()::text,
       COALESCE(pg_current_xact_id_if_assigned()::text, '')
"""

# In the same statement as the INSERT: record the snapshot; keep those of a fortnight (the
# catch-up's reach); drop the change ids every kept snapshot already sees, so the table holds
# only what a re-run may still have to look at.
_RECORD_CTES = """,
recorded AS (
    INSERT INTO {scan} (day, fingerprint, snapshot, own_xid, ran_at)
    VALUES (%(today)s, %(fingerprint)s, %(snapshot)s, %(own_xid)s, now())
    ON CONFLICT (day) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, snapshot = EXCLUDED.snapshot,
                                    own_xid = EXCLUDED.own_xid, ran_at = EXCLUDED.ran_at
),
expired AS (
    DELETE FROM {scan} WHERE day < %(keep_from)s
),
pruned AS (
    DELETE FROM deadlines_alertinputchange
    WHERE xid < LEAST(pg_snapshot_xmin(%(snapshot)s::pg_snapshot),
                      (SELECT min(pg_snapshot_xmin(snapshot::pg_snapshot)) FROM {scan}
                       WHERE day >= %(keep_from)s AND day <> %(today)s))
)"""
SNAPSHOTS_KEPT_DAYS = 14


def alert_scan(*, today: dt.date, calendar: WorkingCalendar | None = None, force: bool = False) -> ScanResult:
    """Raise today's due-soon, due-today, overdue, escalation, overrun and repeat-episode alerts
    (issue #5 §1); nothing on a non-working day; idempotent; emails go after commit.

    A re-run of a day when nothing the scan reads has changed since its last full run skips the
    work (see above); `force` does the full scan anyway (to check that nothing was missed, or
    after data was loaded with triggers off, e.g. `session_replication_role = replica`).
    """
    from .services import calendar_current

    calendar = calendar or calendar_current()
    if not calendar.is_working_day(today):
        logger.info("alert scan %s: not a working day, nothing raised", today.isoformat())
        return ScanResult(today=today, skipped=True, created=0)
    sql, params = _scan_statement(today, calendar)
    fingerprint = hashlib.sha256(f"{sql}\n{sorted(params.items())!r}".encode()).hexdigest()
    scan_table = connection.ops.quote_name(AlertScanSnapshot._meta.db_table)
    sql = sql.replace("{record}", _RECORD_CTES.format(scan=scan_table))
    with transaction.atomic():
        # One scan at a time, whatever day it is for (deadlines/locking.py says why): a second
        # beat or a catch-up waits here, then sees what the first committed and creates nothing.
        job_lock("deadlines.alert_scan")
        with connection.cursor() as cursor:
            cursor.execute(_UNCHANGED_SQL.format(scan=scan_table), {"today": today, "fingerprint": fingerprint})
            unchanged, snapshot, own_xid = cursor.fetchone()
            unchanged = unchanged and not force
            created = 0
            if not unchanged:
                params.update(
                    fingerprint=fingerprint,
                    snapshot=snapshot,
                    own_xid=own_xid,
                    keep_from=today - dt.timedelta(days=SNAPSHOTS_KEPT_DAYS),
                )
                cursor.execute(sql, params)
                created = cursor.fetchone()[0]
        # Emails only once the alerts are committed; the email job sends whatever is pending,
        # so enqueueing it on every run also retries emails a failed earlier run left behind.
        # Through the outbox, in the scan's transaction: if the broker is away at 07:00 the emails
        # go within a minute of its return instead of waiting for tomorrow's scan.
        outbox_enqueue("deadlines.alert_email")
    if unchanged:
        logger.info("alert scan %s: nothing changed since the day's last full scan", today.isoformat())
    else:
        logger.info("alert scan %s: %d alerts raised", today.isoformat(), created)
    return ScanResult(today=today, skipped=False, created=created, unchanged=bool(unchanged))


# --- Email -----------------------------------------------------------------------------------

_PHRASES: dict[str, tuple[str, str]] = {
    # kind: (one, several) -- the reference is all the case detail an email carries.
    AlertKind.DUE_SOON: ("A deadline on case {ref} is due soon", "{n} deadlines on case {ref} are due soon"),
    AlertKind.DUE_TODAY: ("A deadline on case {ref} is due today", "{n} deadlines on case {ref} are due today"),
    AlertKind.OVERDUE: ("A deadline on case {ref} is overdue", "{n} deadlines on case {ref} are overdue"),
    AlertKind.ESCALATION: (
        "A deadline on case {ref} is overdue by more than 5 working days",
        "{n} deadlines on case {ref} are overdue by more than 5 working days",
    ),
    AlertKind.OVERRUN: (
        "Pre-proceedings on case {ref} are projected to run past their agreed length",
        "Pre-proceedings on case {ref} are projected to run past their agreed length",
    ),
    AlertKind.REPEAT_EPISODE: (
        "Case {ref} is a second pre-proceedings episode for a child",
        "Case {ref} is a second pre-proceedings episode for a child",
    ),
}
_KIND_ORDER = {kind: i for i, kind in enumerate(_PHRASES)}


def alert_email_lines(alerts: list[tuple[int, str, str]]) -> list[str]:
    """One line per case and kind, with the link to the case: no names, no other case details.

    `alerts` are (family id, family reference, alert kind) tuples.
    """
    grouped: dict[tuple[int, str, str], int] = defaultdict(int)
    for family_id, reference, kind in alerts:
        grouped[(family_id, reference, kind)] += 1
    lines = []
    for (family_id, reference, kind), n in sorted(
        grouped.items(), key=lambda kv: (_KIND_ORDER.get(kv[0][2], 99), kv[0][1])
    ):
        one, several = _PHRASES.get(kind, ("An alert on case {ref}", "{n} alerts on case {ref}"))
        text = (one if n == 1 else several).format(ref=reference, n=n)
        link = settings.PLO_SITE_URL + reverse("cases:family-detail", args=[family_id])
        lines.append(f"- {text}:\n  {link}")
    return lines


def _message(email: str, alerts: list[tuple[int, str, str]]) -> EmailMessage:
    count = len(alerts)
    inbox = settings.PLO_SITE_URL + reverse("deadlines:alert-list")
    body = "\n".join(
        [
            f"You have {count} new alert{'s' if count != 1 else ''} in {settings.SERVICE_NAME}.",
            "",
            *alert_email_lines(alerts),
            "",
            f"See and acknowledge your alerts: {inbox}",
            "",
            "This email leaves out case details on purpose. Sign in to see them.",
        ]
    )
    subject = f"{settings.SERVICE_NAME}: {count} new alert{'s' if count != 1 else ''}"
    return EmailMessage(subject=subject, body=body, to=[email])


def alerts_email_pending(*, batch: int = EMAIL_BATCH) -> int:
    """Email each recipient their alerts not yet emailed, then set emailed_at (issue #5 §1).

    Idempotent: only alerts with emailed_at null are picked, under FOR UPDATE SKIP LOCKED, so two
    workers never send the same alert. An account without an email address is marked done.
    Returns the number of emails sent.
    """
    sent = 0
    while True:
        with transaction.atomic():
            pending = list(
                Alert.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(emailed_at__isnull=True)
                .order_by("recipient_id", "id")
                .values_list(
                    "id", "recipient__email", "episode__family_id", "episode__family__reference", "kind", "recipient_id"
                )[:batch]
            )
            if not pending:
                break
            # Each recipient is told only about families in their scope now (a case restricted,
            # or a manager moved, since the alert was raised): one scoped query per recipient.
            in_scope: set[int] = set()
            recipients = {row[5] for row in pending}
            for user in User.objects.filter(pk__in=recipients, is_active=True):
                ids = [row[0] for row in pending if row[5] == user.pk]
                in_scope.update(alerts_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
            by_recipient: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
            for alert_id, email, family_id, reference, kind, _ in pending:
                if email and alert_id in in_scope:
                    by_recipient[email].append((family_id, reference, kind))
            messages = [_message(email, items) for email, items in by_recipient.items()]
            if messages:
                with get_connection() as mail:
                    mail.send_messages(messages)
            Alert.objects.filter(pk__in=[row[0] for row in pending]).update(emailed_at=timezone.now())
            sent += len(messages)
    if sent:
        logger.info("alert emails: %d sent", sent)
    return sent


# --- Acknowledging ---------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(*, user: User, alert_id: int) -> bool:
    """Acknowledge one of the user's own alerts (issue #5 §6); False if it was not theirs or done."""
    return bool(
        Alert.objects.filter(pk=alert_id, recipient=user, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now()
        )
    )


@transaction.atomic
def alerts_acknowledge_all(*, user: User) -> int:
    """Acknowledge every alert the user has not yet acknowledged (issue #5 §6)."""
    return Alert.objects.filter(recipient=user, acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
