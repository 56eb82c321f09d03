"""Pages for signing in with a second factor, setting up an account from an emailed link, asking for a
password reset, and the administrator's invite and revoke buttons (issue 24 §1).

The second step of sign-in holds the person in the session as "pending" (their id, the time and
where to go next) without signing them in: nothing but this page is open to them until the code
is right. A wrong code counts as a failed sign-in for django-axes, so ten wrong passwords or codes
lock the username for 15 minutes as before.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import credentials
from .access import SignedInRequest, allow
from .credential_forms import CodeForm, ResetRequestForm, SetPasswordForm
from .models import Invitation, User
from .roles import ALL_STAFF, Role

ADMINS = frozenset({Role.ADMINISTRATOR})
PENDING = "plo_second_factor_pending"
SETUP = "plo_set_up"
RECOVERY = "plo_recovery_codes"
SET_UP_SECONDS = 60 * 60  # an opened link stays with this browser for an hour


# --- The second step of password sign-in --------------------------------------------------------


def pending_start(request: HttpRequest, user: User, backend: str, next_url: str) -> None:
    """Remember that this browser gave the right password for `user` (not yet signed in)."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "at": timezone.now().isoformat(),
        "next": next_url,
    }


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING) or {}
    started = pending.get("at")
    if not started or timezone.now() - dt.datetime.fromisoformat(started) > dt.timedelta(
        seconds=settings.PLO_SECOND_FACTOR_SECONDS
    ):
        return None, {}
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None, {}
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return user, pending


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Sign in, step 2: the code from the authenticator app, or a recovery code."""
    user, pending = _pending_user(request)
    if request.user.is_authenticated and user is None:
        return HttpResponseRedirect(reverse(settings.LOGIN_REDIRECT_URL))
    if user is None:
        request.session.pop(PENDING, None)
        return render(request, "registration/second_factor_again.html")
    form = CodeForm(request.POST if request.method == "POST" else None, recovery=True)
    if request.method == "POST":
        credentials_for_axes = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials_for_axes):
            request.session.pop(PENDING, None)
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        if form.is_valid():
            device = credentials.second_factor_verify(user=user, code=form.cleaned_data["code"])
            if device is not None:
                next_url = pending.get("next") or ""
                request.session.pop(PENDING, None)
                login(request, user, backend=pending.get("backend") or settings.AUTHENTICATION_BACKENDS[-1])
                otp_login(request, device)
                if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
                    next_url = reverse(settings.LOGIN_REDIRECT_URL)
                return HttpResponseRedirect(next_url)
            form.add_error(
                "code",
                "That code is not right: enter the code your authenticator app shows now, or an unused recovery code",
            )
            user_login_failed.send(sender=__name__, credentials=credentials_for_axes, request=request)
            if not AxesProxyHandler.is_allowed(request, credentials_for_axes):
                request.session.pop(PENDING, None)
                return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
    return render(request, "registration/second_factor.html", {"form": form})


second_factor.login_required = False  # type: ignore[attr-defined]


# --- Setting up an account (or a new password) from an emailed link -----------------------------


def _set_up_invitation(request: HttpRequest) -> Invitation | None:
    """The live invitation this browser opened, or None (the link has run out or been used)."""
    state = request.session.get(SETUP) or {}
    started = state.get("at")
    if not started or timezone.now() - dt.datetime.fromisoformat(started) > dt.timedelta(seconds=SET_UP_SECONDS):
        return None
    invitation_id = state.get("invitation")
    if not isinstance(invitation_id, int):
        return None
    invitation = Invitation.objects.select_related("user").filter(pk=invitation_id).first()
    if invitation is None:
        return None
    try:
        return credentials.invitation_check(invitation)
    except credentials.LinkRefused:
        return None


def _link_refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "registration/link_refused.html", {"reason": reason}, status=410)


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def set_up(request: HttpRequest) -> HttpResponse:
    """The page an emailed link opens: it only asks to continue (email scanners follow links, and
    must not use them up); continuing ties the link to this browser."""
    token = request.POST.get("token", "") if request.method == "POST" else request.GET.get("token", "")
    try:
        invitation = credentials.invitation_from_token(token)
    except credentials.LinkRefused as refused:
        return _link_refused(request, refused.reason)
    if request.method == "POST":
        if request.user.is_authenticated:
            logout(request)  # someone else was signed in on this browser
        request.session.cycle_key()
        request.session[SETUP] = {"invitation": invitation.pk, "at": timezone.now().isoformat()}
        return HttpResponseRedirect(reverse("accounts:set-up-password"))
    return render(
        request,
        "registration/set_up_start.html",
        {"invitation": invitation, "token": token, "person": invitation.user},
    )


set_up.login_required = False  # type: ignore[attr-defined]


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def set_up_password(request: HttpRequest) -> HttpResponse:
    """Choose a password (from an invitation or a reset link)."""
    invitation = _set_up_invitation(request)
    if invitation is None:
        return _link_refused(request, credentials.LINK_USED_OR_UNKNOWN)
    user = invitation.user
    form = SetPasswordForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            credentials.invitation_set_password(invitation=invitation, password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        except credentials.LinkRefused as refused:
            return _link_refused(request, refused.reason)
        else:
            invitation.refresh_from_db()
            if invitation.used_at is not None:  # a reset for someone who has a second factor: done
                request.session.pop(SETUP, None)
                messages.success(request, "Your password has been changed. Sign in with it and your second factor.")
                return HttpResponseRedirect(reverse("accounts:sign-in"))
            return HttpResponseRedirect(reverse("accounts:set-up-second-factor"))
    title = "Choose your password" if invitation.kind == Invitation.Kind.INVITE else "Choose a new password"
    return render(
        request,
        "registration/set_up_password.html",
        {"form": form, "title": title, "person": user, "invitation": invitation},
    )


set_up_password.login_required = False  # type: ignore[attr-defined]


def _qr_svg(url: str) -> str:
    """The otpauth:// address as an inline SVG QR code with a text alternative."""
    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#0b0c0c", light="#ffffff", border=2)
    label = "QR code to add PLO Tracker to your authenticator app"
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _secret_text(device: TOTPDevice) -> str:
    """The secret key in base32, in groups of four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def set_up_second_factor(request: HttpRequest) -> HttpResponse:
    """Add the service to an authenticator app (QR code or typed key) and confirm with a code."""
    invitation = _set_up_invitation(request)
    if invitation is None:
        return _link_refused(request, credentials.LINK_USED_OR_UNKNOWN)
    user = invitation.user
    if not user.has_usable_password():
        return HttpResponseRedirect(reverse("accounts:set-up-password"))
    device = credentials.totp_device_for_enrolment(user=user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            code = form.cleaned_data["code"]
            codes = credentials.second_factor_enrol(invitation=invitation, device=device, code=code)
        except ValidationError as exc:
            form.add_service_errors(exc)
        except credentials.LinkRefused as refused:
            return _link_refused(request, refused.reason)
        else:
            request.session.pop(SETUP, None)
            device.refresh_from_db()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            request.session[RECOVERY] = codes
            return HttpResponseRedirect(reverse("accounts:recovery-codes"))
    svg = _qr_svg(device.config_url)
    qr_svg = mark_safe(svg)  # nosec B308 B703: segno's own SVG of the device's own URL
    return render(
        request,
        "registration/set_up_second_factor.html",
        {
            "form": form,
            "person": user,
            "qr_svg": qr_svg,
            "secret": _secret_text(device),
            "issuer": settings.OTP_TOTP_ISSUER,
        },
    )


set_up_second_factor.login_required = False  # type: ignore[attr-defined]


@allow(ALL_STAFF)
@require_http_methods(["GET", "HEAD"])
def recovery_codes(request: SignedInRequest) -> HttpResponse:
    """The recovery codes, shown once straight after enrolling: reloading the page does not show them."""
    codes = request.session.pop(RECOVERY, None)
    return render(request, "registration/recovery_codes.html", {"codes": codes})


# --- Forgotten password ------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = ResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        credentials.password_reset_request(email=form.cleaned_data["email"])
        return render(
            request,
            "registration/password_reset_sent.html",
            {"hours": settings.PLO_INVITATION_HOURS, "sso": credentials.oidc_enabled()},
        )
    return render(request, "registration/password_reset.html", {"form": form})


password_reset.login_required = False  # type: ignore[attr-defined]


# --- Administrators: invite, invite everyone new, revoke ----------------------------------------


def _invite_message(request: HttpRequest, person: User, invitation: Invitation | None) -> None:
    if invitation is None:
        messages.success(request, f"{person} has been emailed to sign in with their council account.")
    else:
        expires = timezone.localtime(invitation.expires_at).strftime("%-d %b %Y %H:%M")
        messages.success(request, f"{person} has been emailed an invitation. The link works once, until {expires}.")


@allow(ADMINS)
@require_POST
def staff_invite(request: SignedInRequest, pk: int) -> HttpResponse:
    """Email one person an invitation (a new link replaces any earlier one)."""
    person = get_object_or_404(User, pk=pk)
    try:
        invitation = credentials.staff_invite(user=person, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return HttpResponseRedirect(reverse("accounts:staff-edit", args=[person.pk]))
    _invite_message(request, person, invitation)
    return HttpResponseRedirect(reverse("accounts:staff-list"))


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_invite_all(request: SignedInRequest) -> HttpResponse:
    """Invite, in one go, everyone who has never signed in and has no live link (after an import)."""
    waiting = list(credentials.staff_awaiting_invitation().select_related("team"))
    if request.method == "POST":
        with transaction.atomic():
            done = credentials.staff_invite_many(users=waiting, by=request.user)
        parts = [f"{done.invited} invitation{'s' if done.invited != 1 else ''} sent"]
        if done.single_sign_on:
            parts.append(f"{done.single_sign_on} told to sign in with their council account")
        if done.skipped:
            parts.append(f"{done.skipped} left out")
        messages.success(request, "; ".join(parts) + ".")
        return HttpResponseRedirect(reverse("accounts:staff-list"))
    rows = [(p, credentials.user_uses_single_sign_on(p)) for p in waiting]
    return render(
        request,
        "accounts/staff_invite_all.html",
        {"rows": rows, "hours": settings.PLO_INVITATION_HOURS},
    )


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    """End a person's sessions and remove their second factor (they need a new invitation)."""
    person = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        ended = credentials.credentials_revoke(user=person, by=request.user)
        messages.success(
            request,
            f"{person} has been signed out of {ended} session{'s' if ended != 1 else ''} and their second factor "
            "removed. Send them an invitation to set it up again.",
        )
        return HttpResponseRedirect(reverse("accounts:staff-edit", args=[person.pk]))
    return render(request, "accounts/staff_revoke.html", {"person": person})
