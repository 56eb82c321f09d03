"""Invite staff by email to set a password and a second factor (issue 24 §1).

    manage.py invite_staff USERNAME [USERNAME ...] --by ADMIN
    manage.py invite_staff --all-new --by ADMIN

`--all-new` invites everyone active who has never signed in and has no live link (after a staff
import). Single sign-on users are emailed how to sign in with their council account instead.
`--by` names the administrator the audit trail records; without it the command is recorded as
the source. The link is emailed through the outbox (a worker sends it): the command never prints it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import credentials
from accounts.models import User
from accounts.roles import Role
from accounts.staff import staff_context


class Command(BaseCommand):
    help = "Email invitations to set a password and a second factor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="*", help="The usernames to invite.")
        parser.add_argument("--all-new", action="store_true", help="Everyone who has never signed in.")
        parser.add_argument("--by", default="", help="The administrator's username, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        usernames: list[str] = options["usernames"]
        if bool(usernames) == bool(options["all_new"]):
            raise CommandError("Name the usernames to invite, or give --all-new (not both).")
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"], is_active=True).first()
            if by is None or not by.has_role(Role.ADMINISTRATOR):
                raise CommandError(f"{options['by']} is not an active administrator.")
        if options["all_new"]:
            users = list(credentials.staff_awaiting_invitation())
        else:
            found = {u.username: u for u in User.objects.filter(username__in=usernames)}
            missing = [u for u in usernames if u not in found]
            if missing:
                raise CommandError(f"No member of staff has the username {', '.join(missing)}.")
            users = [found[u] for u in usernames]
        context = staff_context(by, "invite_staff command") if by else _source_only()
        with context:
            for user in users:
                try:
                    invitation = credentials.staff_invite(user=user, by=by)
                except ValidationError as exc:
                    self.stdout.write(f"{user.username}: not invited: {exc.messages[0]}")
                    continue
                if invitation is None:
                    self.stdout.write(f"{user.username}: emailed to sign in with their council account")
                else:
                    until = timezone.localtime(invitation.expires_at).strftime("%-d %b %Y %H:%M")
                    self.stdout.write(f"{user.username}: invitation emailed (the link works once, until {until})")
        self.stdout.write(f"{len(users)} member(s) of staff handled.")


def _source_only() -> Any:
    import pghistory

    return pghistory.context(source="invite_staff command")
