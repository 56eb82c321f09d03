"""Writes and reads for how staff sign in (issue 24 §1): invitations, passwords, the second factor.

* An administrator invites a member of staff: one emailed link that works once and for
  PLO_INVITATION_HOURS (72 by default). The person sets a password against Django's validators
  and enrols a second factor (a TOTP authenticator app, django-otp), and is shown ten recovery
  codes once. The link is `<id>.<HMAC(SECRET_KEY, id, nonce)>`: the database holds only the nonce,
  so nobody who reads the database (or the audit trail) can build a working link.
* A password reset is the same link, asked for by the person; it never says whether an address
  exists, and someone who already has a second factor keeps it (they sign in with it afterwards).
* Single sign-on users never get a password: inviting them emails them to sign in with their
  council account, and a reset sends nothing.
* An administrator can revoke a person's sessions and second factor; they then need a new link.

Every change is audited: Invitation rows and the User's `second_factor_enrolled_at` are tracked by
pghistory with the acting user from the request (or `staff_context` in commands). Logs carry ids.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from plo_tracker.outbox import outbox_enqueue

from .models import Invitation, User
from .oidc import oidc_enabled

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
_HMAC_SALT = "accounts.credentials.invitation"


# --- Who signs in how ------------------------------------------------------------------------


def user_uses_single_sign_on(user: User) -> bool:
    """True when this person signs in with the council's identity provider (and so never gets a
    password): single sign-on is on and their record holds what it matches them by."""
    if not oidc_enabled():
        return False
    field = settings.PLO_OIDC_MATCH_FIELD
    if field == "oidc_subject":
        return bool(user.oidc_subject)
    if field == "email" and settings.PLO_OIDC_EMAIL_DOMAINS:
        domain = user.email.rsplit("@", 1)[-1].lower() if "@" in user.email else ""
        return domain in settings.PLO_OIDC_EMAIL_DOMAINS
    return bool(getattr(user, field, ""))


def has_second_factor(user: User) -> bool:
    """True when the person has a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(user: User) -> bool:
    """Whether password sign-in must ask this person for a code: always, unless the embedded demo
    relaxed it (PLO_PASSWORD_2FA_REQUIRED off), and then still for anyone who has enrolled one."""
    return settings.PLO_PASSWORD_2FA_REQUIRED or has_second_factor(user)


class SignInState(Enum):
    INVITED = "invited"
    SINGLE_SIGN_ON = "sso"
    PASSWORD_AND_SECOND_FACTOR = "password_2fa"  # noqa: S105  # nosec B105: a state's name, not a password
    PASSWORD_ONLY = "password_only"  # noqa: S105  # nosec B105: a state's name, not a password
    CANNOT_SIGN_IN = "cannot"


@dataclass(frozen=True)
class SignInStatus:
    """A person's true sign-in state for the staff list: a label, the tag colour, and why."""

    state: SignInState
    label: str
    colour: str
    reason: str = ""


def staff_with_sign_in_facts(people: QuerySet[User]) -> QuerySet[User]:
    """Annotate each person with what sign_in_status needs, in the same query as the list."""
    now = timezone.now()
    open_links = Invitation.objects.filter(user=OuterRef("pk"), used_at__isnull=True, revoked_at__isnull=True)
    return people.annotate(
        has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        link_expires_at=open_links.filter(expires_at__gt=now).values("expires_at")[:1],
        link_expired=Exists(open_links.filter(expires_at__lte=now)),
    )


def sign_in_status(person: User) -> SignInStatus:
    """What the staff list says about how this person signs in (from staff_with_sign_in_facts)."""
    has_totp = getattr(person, "has_totp", None)
    if has_totp is None:
        has_totp = has_second_factor(person)
    expires = getattr(person, "link_expires_at", None)
    if not person.is_active:
        return SignInStatus(SignInState.CANNOT_SIGN_IN, "Cannot sign in", "grey", "Switched off")
    if user_uses_single_sign_on(person):
        return SignInStatus(SignInState.SINGLE_SIGN_ON, "Single sign-on", "blue")
    if person.has_usable_password() and has_totp:
        return SignInStatus(SignInState.PASSWORD_AND_SECOND_FACTOR, "Password and second factor", "green")
    if expires is not None:
        when = timezone.localtime(expires).strftime("%-d %b %Y %H:%M")
        return SignInStatus(SignInState.INVITED, f"Invited (link expires {when})", "yellow")
    if person.has_usable_password() and not settings.PLO_PASSWORD_2FA_REQUIRED:
        return SignInStatus(SignInState.PASSWORD_ONLY, "Password only (demo)", "orange")
    reason = "Invitation expired" if getattr(person, "link_expired", False) else "No password or second factor yet"
    if person.has_usable_password():
        reason = "No second factor"
    return SignInStatus(SignInState.CANNOT_SIGN_IN, "Cannot sign in", "red", reason)


# --- Links -----------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The secret part of a link: the id and an HMAC only this service can make."""
    digest = salted_hmac(_HMAC_SALT, f"{invitation.pk}:{invitation.nonce}", algorithm="sha256").hexdigest()
    return f"{invitation.pk}.{digest}"


def invitation_link(invitation: Invitation) -> str:
    """The full link in the email. The token is in the query string, which the access log
    docs/operations.md recommends leaves out, and the page it opens only asks to continue (an
    email scanner that follows links does not use it up)."""
    return f"{settings.PLO_SITE_URL}{reverse('accounts:set-up')}?token={invitation_token(invitation)}"


class LinkRefused(Exception):
    """A link that cannot be used; `reason` says why in words for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


LINK_USED_OR_UNKNOWN = "This link has already been used, or it is not a link this service sent."
LINK_EXPIRED = "This link has expired."
LINK_REPLACED = "This link has been replaced by a newer one, or withdrawn by an administrator."
LINK_ACCOUNT_OFF = "Your account has been switched off."


def invitation_from_token(token: str, *, for_update: bool = False) -> Invitation:
    """The live invitation a link names, or LinkRefused saying why it cannot be used."""
    pk, _, digest = (token or "").partition(".")
    if not pk.isdigit() or len(pk) > 18:
        raise LinkRefused(LINK_USED_OR_UNKNOWN)
    rows = Invitation.objects.select_related("user")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(pk=int(pk)).first()
    if invitation is None or not constant_time_compare(invitation_token(invitation), f"{pk}.{digest}"):
        raise LinkRefused(LINK_USED_OR_UNKNOWN)
    return invitation_check(invitation)


def invitation_check(invitation: Invitation) -> Invitation:
    """The invitation if it can still be used, or LinkRefused."""
    if invitation.used_at is not None:
        raise LinkRefused(LINK_USED_OR_UNKNOWN)
    if invitation.revoked_at is not None:
        raise LinkRefused(LINK_REPLACED)
    if invitation.expires_at <= timezone.now():
        raise LinkRefused(LINK_EXPIRED)
    if not invitation.user.is_active or user_uses_single_sign_on(invitation.user):
        raise LinkRefused(LINK_ACCOUNT_OFF if not invitation.user.is_active else LINK_REPLACED)
    return invitation


# --- Invitations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteResult:
    """What inviting one or more people did (counts only)."""

    invited: int = 0
    single_sign_on: int = 0
    skipped: int = 0


def _revoke_open(user: User, now: dt.datetime) -> None:
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)


def _new_link(*, user: User, kind: str, by: User | None) -> Invitation:
    now = timezone.now()
    _revoke_open(user, now)
    invitation = Invitation(
        user=user,
        kind=kind,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.PLO_INVITATION_HOURS),
        created_by=by,
    )
    invitation.full_clean()
    invitation.save()
    outbox_enqueue("accounts.invitation_email", args=[invitation.pk])
    return invitation


@transaction.atomic
def staff_invite(*, user: User, by: User | None) -> Invitation | None:
    """Invite one person: a set-up link by email, or (single sign-on) an email telling them to sign
    in with their council account. Returns the invitation, or None for single sign-on."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError("They are switched off: switch them back on before inviting them")
    if not user.email:
        raise ValidationError("Add their work email address before inviting them")
    if user_uses_single_sign_on(user):
        outbox_enqueue("accounts.single_sign_on_email", args=[user.pk])
        logger.info("invitation: single sign-on email queued for user %s", user.pk)
        return None
    invitation = _new_link(user=user, kind=Invitation.Kind.INVITE, by=by)
    logger.info("invitation %s queued for user %s", invitation.pk, user.pk)
    return invitation


def staff_awaiting_invitation() -> QuerySet[User]:
    """Active staff with an email who have never signed in and have no live link: whom "invite
    everyone" (after a staff import) reaches."""
    live = Invitation.objects.filter(
        user=OuterRef("pk"), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return (
        User.objects.filter(is_active=True, last_login__isnull=True)
        .exclude(email="")
        .exclude(Exists(live))
        .exclude(Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .order_by("pk")
    )


@transaction.atomic
def staff_invite_many(*, users: Iterable[User], by: User | None) -> InviteResult:
    """Invite each person (see staff_invite); someone who cannot be invited is counted as skipped."""
    invited = sso = skipped = 0
    for user in users:
        try:
            with transaction.atomic():
                if staff_invite(user=user, by=by) is None:
                    sso += 1
                else:
                    invited += 1
        except ValidationError:
            skipped += 1
    return InviteResult(invited=invited, single_sign_on=sso, skipped=skipped)


RESET_RESEND_AFTER = dt.timedelta(minutes=5)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Email a reset link to the active password user with this address, if there is one; the
    caller says the same thing whatever happened. At most one email per person per 5 minutes."""
    users = list(User.objects.select_for_update().filter(email__iexact=email.strip(), is_active=True)[:2])
    if len(users) != 1 or user_uses_single_sign_on(users[0]):
        return
    user = users[0]
    recent = Invitation.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True, created_at__gt=timezone.now() - RESET_RESEND_AFTER
    )
    if recent.exists():
        return
    invitation = _new_link(user=user, kind=Invitation.Kind.RESET, by=None)
    logger.info("password reset %s queued for user %s", invitation.pk, user.pk)


# --- Setting the password and the second factor ------------------------------------------------


@transaction.atomic
def invitation_set_password(*, invitation: Invitation, password: str) -> User:
    """Set the person's password from their link (Django's validators). A reset for someone who
    already has a second factor is then finished: the link is used up."""
    invitation = invitation_check(Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk))
    user = invitation.user
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    if invitation.kind == Invitation.Kind.RESET and has_second_factor(user):
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        _sessions_end(user)
    return user


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the enrol page shows (made once, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def second_factor_enrol(*, invitation: Invitation, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a code from it, replace any earlier second factor, make ten
    recovery codes and use the link up. Returns the recovery codes, which the page shows once."""
    invitation = invitation_check(Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk))
    user = invitation.user
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not user.has_usable_password():
        raise ValidationError({"code": ["Set your password first"]})
    if not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationError(
            {"code": ["That code is not right: enter the 6-digit code your authenticator app shows now"]}
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    now = timezone.now()
    user.second_factor_enrolled_at = now
    user.save(update_fields=["second_factor_enrolled_at"])
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    logger.info("second factor enrolled for user %s (link %s)", user.pk, invitation.pk)
    return codes


def second_factor_verify(*, user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts this code (a TOTP code, or a recovery code, which is then used up)."""
    code = code.strip().replace(" ", "").replace("-", "")
    if not code or len(code) > 32:
        return None
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
        for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if static.verify_token(code.lower()):
                return static
    return None


# --- Revoking --------------------------------------------------------------------------------


def _sessions_end(user: User) -> int:
    """End every session of this person (database sessions: read each live one's user id)."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def credentials_revoke(*, user: User, by: User) -> int:
    """End all of a person's sessions, remove their second factor and recovery codes and withdraw
    any open link: they sign in again only after a new invitation. Returns sessions ended."""
    user = User.objects.select_for_update().get(pk=user.pk)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _revoke_open(user, timezone.now())
    user.second_factor_enrolled_at = None
    user.save(update_fields=["second_factor_enrolled_at"])
    ended = _sessions_end(user)
    logger.info("credentials revoked for user %s by user %s: %d session(s) ended", user.pk, by.pk, ended)
    return ended


def invitations_open_for(user: User) -> QuerySet[Invitation]:
    """The person's links that are neither used nor withdrawn (expired ones included)."""
    return Invitation.objects.filter(Q(user=user), used_at__isnull=True, revoked_at__isnull=True)


# --- Emails (sent by the jobs in accounts/tasks.py) ---------------------------------------------


def invitation_message(invitation: Invitation) -> tuple[str, str]:
    """The subject and body of an invitation or reset email: the person's own username and the
    link, nothing about any case."""
    user = invitation.user
    service, council = settings.SERVICE_NAME, settings.COUNCIL_NAME
    expires = timezone.localtime(invitation.expires_at).strftime("%H:%M on %-d %b %Y")
    link = invitation_link(invitation)
    if invitation.kind == Invitation.Kind.INVITE:
        subject = f"Set up your {service} account"
        opening = [
            f"{council} has given you an account in {service}, the service that tracks families in",
            "pre-proceedings under the Public Law Outline.",
            "",
            f"Your username is: {user.username}",
            "",
            "To choose your password and set up your second factor, open this link:",
        ]
        second = [
            "You will need an authenticator app on your phone (for example Microsoft Authenticator",
            "or Google Authenticator): each time you sign in, it gives you a code to enter after your password.",
        ]
    else:
        subject = f"Reset your {service} password"
        opening = [
            f"Someone asked to reset the password of your {service} account ({user.username}).",
            "",
            "To choose a new password, open this link:",
        ]
        second = [
            "Your second factor (authenticator app) stays as it is; if you have not set one up yet,",
            "you will set it up after choosing your password.",
        ]
    body = "\n".join(
        [
            *opening,
            link,
            "",
            f"The link works once, and until {expires}. After that, ask your system administrator"
            + (" for a new invitation." if invitation.kind == Invitation.Kind.INVITE else " or ask for a new reset."),
            "",
            *second,
            "",
            f"If you did not expect this email, you can ignore it, or tell {council}'s IT service desk.",
        ]
    )
    return subject, body


@transaction.atomic
def invitation_email_send(*, invitation_id: int) -> bool:
    """Send one invitation or reset email if its link is still live and not yet emailed (safe to
    run twice: `emailed_at` is set in the same transaction). Returns whether it sent."""
    from django.core.mail import EmailMessage

    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("user").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.emailed_at is not None:
        return False
    try:
        invitation_check(invitation)
    except LinkRefused:
        return False
    subject, body = invitation_message(invitation)
    EmailMessage(subject=subject, body=body, to=[invitation.user.email]).send()
    invitation.emailed_at = timezone.now()
    invitation.save(update_fields=["emailed_at"])
    logger.info("invitation %s emailed", invitation.pk)
    return True


def single_sign_on_message(user: User) -> tuple[str, str]:
    """The subject and body telling a single sign-on user how to sign in (no password, no link to set one)."""
    service = settings.SERVICE_NAME
    sign_in = settings.PLO_SITE_URL + reverse("accounts:sign-in")
    body = "\n".join(
        [
            f"{settings.COUNCIL_NAME} has given you an account in {service}.",
            "",
            f"You sign in with your council account: open {sign_in}",
            f'and choose "{settings.PLO_OIDC_LABEL}". You do not need a password for {service}.',
            "",
            "If you did not expect this email, you can ignore it.",
        ]
    )
    return f"Your {service} account is ready", body


def single_sign_on_email_send(*, user_id: int) -> bool:
    """Tell an active single sign-on user how to sign in. Returns whether it sent."""
    from django.core.mail import EmailMessage

    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user_uses_single_sign_on(user):
        return False
    subject, body = single_sign_on_message(user)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()
    logger.info("single sign-on email sent to user %s", user.pk)
    return True
