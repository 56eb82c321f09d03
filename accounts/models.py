"""Staff: users, the teams they work in, and the roles (groups) they hold."""

from __future__ import annotations

import secrets
from functools import cached_property
from typing import Any

import pghistory
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from .roles import LABEL_TO_ROLE, Role


@pghistory.track()
class ServiceArea(models.Model):
    """A group of teams run by one or more service managers (docs/domain.md "Who uses it")."""

    name = models.CharField(max_length=120, unique=True)
    managers: models.ManyToManyField[User, Any] = models.ManyToManyField(
        "User", blank=True, related_name="managed_service_areas", help_text="The service managers of this area."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Team(models.Model):
    """A social work team: its cases are allocated to its social workers and managed by its TMs."""

    name = models.CharField(max_length=120, unique=True)
    service_area = models.ForeignKey(ServiceArea, null=True, blank=True, on_delete=models.PROTECT, related_name="teams")
    managers: models.ManyToManyField[User, Any] = models.ManyToManyField(
        "User", blank=True, related_name="managed_teams", help_text="The team managers of this team."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def new_calendar_token() -> str:
    """A fresh unguessable token for a user's private calendar feed URL."""
    return secrets.token_urlsafe(32)


# The audit trail of staff (issue #12 §1): never the password hash, sign-in times or feed token.
@pghistory.track(exclude=["password", "last_login", "calendar_token"])
class User(AbstractUser):
    """A member of the council's staff. Roles are groups; a user may hold more than one."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    job_title = models.CharField(max_length=120, blank=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    # When the calendar address was last replaced, and by whom (the owner or an administrator):
    # tracked, so each reset is in the audit trail while the token itself never is.
    calendar_token_reset_at = models.DateTimeField("calendar address reset", null=True, blank=True)
    calendar_token_reset_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The person's stable id at the council's identity provider (Microsoft Entra ID's object id,
    # or an OpenID `sub`): single sign-on matches by it when PLO_OIDC_MATCH_CLAIM is oid or sub.
    oidc_subject = models.CharField(
        "single sign-on id",
        max_length=255,
        blank=True,
        default="",
        help_text="Their object id in Microsoft Entra ID, or their subject id at the council's identity provider.",
    )
    # When they last enrolled a second factor (an authenticator app); cleared when an administrator
    # revokes it. The device itself is django-otp's; this column puts enrolling and revoking in
    # the audit trail with who did it.
    second_factor_enrolled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            # One person per id, whatever the case a GUID was copied in: sign-in matches it ignoring case.
            models.UniqueConstraint(
                Lower("oidc_subject"),
                condition=~models.Q(oidc_subject=""),
                name="user_oidc_subject_unique",
                violation_error_message="Someone already has this single sign-on id",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def roles(self) -> frozenset[Role]:
        """The roles this user holds (cached per request)."""
        names = [g.name for g in self.groups.all()]
        return frozenset(LABEL_TO_ROLE[n] for n in names if n in LABEL_TO_ROLE)

    def has_role(self, *roles: Role) -> bool:
        """True if the user holds any of the given roles."""
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        """Role names for display, in a stable order."""
        return [r.label for r in Role if r in self.roles]


# Who holds which role, who manages which team or area: every change in the audit trail.
pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent(), app_label="accounts", model_name="UserRoleEvent")(
    User.groups.through
)
pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent(), app_label="accounts", model_name="TeamManagerEvent")(
    Team.managers.through
)
pghistory.track(
    pghistory.InsertEvent(), pghistory.DeleteEvent(), app_label="accounts", model_name="ServiceAreaManagerEvent"
)(ServiceArea.managers.through)


@pghistory.track(exclude=["nonce"])
class Invitation(models.Model):
    """A single-use emailed link to set a password and a second factor: an administrator's
    invitation, or a password reset the person asked for. The link carries an HMAC of the id and
    `nonce` (accounts/credentials.py), so the database never holds a usable link."""

    class Kind(models.TextChoices):
        INVITE = "invite", "Invitation"
        RESET = "reset", "Password reset"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    nonce = models.CharField(max_length=64, default=secrets.token_hex)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    emailed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_created",
            ),
            # One live link per person: a new one revokes the old (accounts/credentials.py).
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_used_or_revoked_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"
