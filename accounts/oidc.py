"""Single sign-on with the council's own identity provider (OpenID Connect; issue #12 §2).

mozilla-django-oidc does the protocol (authorization code flow with PKCE, state and nonce, the
ID token's signature checked against the provider's keys). What is ours:

* a staff record is never created from a sign-in: the provider's user is matched to an existing
  active member of staff by one stable claim (`PLO_OIDC_MATCH_CLAIM`: `email` by default, `oid`
  for Microsoft Entra ID's object id, or `sub`) against one field of the staff record
  (`PLO_OIDC_MATCH_FIELD`: the email for `email`, the single sign-on id for `oid` and `sub`, or
  `username`). Matching by id never falls back to the email: an id no staff record holds is
  refused like an unknown person;
* the ID token must come from the configured issuer (`PLO_OIDC_ISSUER`) for this client;
* roles stay managed in the product, unless `PLO_OIDC_ROLES_CLAIM` and `PLO_OIDC_ROLE_MAP` are
  set, in which case each sign-in sets the person's roles from the provider's groups;
* every refusal (unknown person, deactivated account, wrong issuer, replayed or unknown state, the
  provider's own error) gets a plain page and one log line with a reason code and, at most, the
  staff record's id: never a name, an email address or a claim value;
* lockout still applies: a refusal counts as a failed sign-in for django-axes (keyed on the
  matched claim and the address), and a locked-out pair is refused before any staff record is
  looked up; session limits apply because signing in goes through Django's `login()` (the
  `user_logged_in` signal records the time for the 12-hour limit).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core import checks
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .models import User
from .roles import Role

logger = logging.getLogger(__name__)

REFUSALS = {
    "unknown": (
        "Your account is not set up in this service",
        "You signed in with your council account, but there is no member of staff in this service "
        "with that account. Ask your system administrator to add you.",
    ),
    "deactivated": (
        "Your account has been switched off",
        "You can no longer sign in to this service. If you think this is a mistake, ask your system administrator.",
    ),
    "issuer": (
        "That sign-in came from the wrong place",
        "The sign-in was not issued by your council's identity provider, so it was refused. Try again.",
    ),
    "state": (
        "That sign-in link has already been used or has expired",
        "For your security each sign-in can be used once. Start again from the sign-in page.",
    ),
    "locked": (
        "Too many failed sign-ins",
        "This account is locked for 15 minutes after 10 failed sign-ins. Try again later.",
    ),
    "off": (
        "Single sign-on is not set up",
        "This service has not been connected to your council's identity provider. "
        "Sign in with your username and password.",
    ),
    "provider": (
        "Your council's sign-in service did not sign you in",
        "The identity provider refused or could not complete the sign-in. Try again, or ask your IT service desk.",
    ),
}


# The staff record's fields a claim may be matched against (case-insensitively; each is unique).
MATCH_FIELDS = ("email", "username", "oidc_subject")


@checks.register(checks.Tags.security)
def match_settings_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start single sign-on with a match field that names nothing to match."""
    if oidc_enabled() and settings.PLO_OIDC_MATCH_FIELD not in MATCH_FIELDS:
        return [
            checks.Error(
                f"PLO_OIDC_MATCH_FIELD must be one of {', '.join(MATCH_FIELDS)}",
                hint="Leave it unset: PLO_OIDC_MATCH_CLAIM=oid or sub matches the single sign-on id, email the email.",
                id="accounts.E001",
            )
        ]
    return []


def oidc_enabled() -> bool:
    """True when the deployment names an identity provider (PLO_OIDC_ISSUER)."""
    return bool(getattr(settings, "PLO_OIDC_ISSUER", ""))


def _fingerprint(value: str) -> str:
    """A short one-way tag of a claim for the lockout key: the email itself never leaves the request."""
    return "oidc:" + hashlib.sha256(value.lower().encode()).hexdigest()[:16]


class Refused(Exception):
    """A sign-in the product refuses; `reason` is a key of REFUSALS."""

    def __init__(self, reason: str, user_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """Match the provider's user to an existing member of staff; never create one."""

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.PLO_OIDC_ISSUER or settings.OIDC_RP_CLIENT_ID not in audiences:
            raise Refused("issuer")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User | None:
        claims = {**payload, **(self.get_userinfo(access_token, id_token, payload) or {})}
        value = str(claims.get(settings.PLO_OIDC_MATCH_CLAIM) or "").strip()
        if not value:
            raise Refused("unknown")
        request = self.request
        credentials = {"username": _fingerprint(value)}
        request.plo_oidc_credentials = credentials
        if not AxesProxyHandler.is_allowed(request, credentials):
            raise Refused("locked")
        field = settings.PLO_OIDC_MATCH_FIELD
        if field not in MATCH_FIELDS:  # the system check refuses this at start-up too
            raise Refused("unknown")
        users = list(User.objects.filter(**{f"{field}__iexact": value}))
        if len(users) != 1:
            raise Refused("unknown")
        user = users[0]
        if not user.is_active:
            raise Refused("deactivated", user.pk)
        self._roles_from_claims(user, claims)
        return user

    @staticmethod
    def _roles_from_claims(user: User, claims: dict[str, Any]) -> None:
        claim, mapping = settings.PLO_OIDC_ROLES_CLAIM, settings.PLO_OIDC_ROLE_MAP
        if not claim or not mapping:
            return  # roles are managed in the product
        groups = claims.get(claim) or []
        groups = [groups] if isinstance(groups, str) else list(groups)
        roles = sorted({mapping[g] for g in groups if g in mapping})
        from .services import user_set_roles

        if set(roles) != set(user.roles):
            user_set_roles(user=user, roles=[Role(r) for r in roles])


def _not_set_up(request: HttpRequest) -> HttpResponse:
    title, body = REFUSALS["off"]
    return render(request, "registration/sign_in_refused.html", {"title": title, "body": body})


def _refuse(request: HttpRequest, reason: str, user_id: int | None = None) -> HttpResponse:
    """A plain page, one log line with the reason (and the staff id, never a name or claim)."""
    logger.warning("single sign-on refused: %s%s", reason, f" (user {user_id})" if user_id else "")
    credentials = getattr(request, "plo_oidc_credentials", None)
    if credentials and reason in ("unknown", "deactivated"):
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    title, body = REFUSALS[reason]
    return render(request, "registration/sign_in_refused.html", {"title": title, "body": body}, status=403)


class StartView(OIDCAuthenticationRequestView):
    """Send the person to the council's identity provider."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            return _not_set_up(request)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the identity provider: sign in, or a plain page saying why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            return _not_set_up(request)
        if request.GET.get("error"):
            super().get(request)  # forgets the state so it cannot be replayed
            return _refuse(request, "provider")
        try:
            response = super().get(request)
        except SuspiciousOperation:
            # A state this browser never started, or one already used (a replayed callback).
            return _refuse(request, "state")
        except Refused as exc:
            return _refuse(request, exc.reason, exc.user_id)
        return response

    def login_failure(self) -> HttpResponse:
        # No states in the session at all (a callback opened in another browser), or no code.
        return _refuse(self.request, "state")


start = login_not_required(StartView.as_view())
callback = login_not_required(CallbackView.as_view())
start.login_required = False
callback.login_required = False
