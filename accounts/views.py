"""Sign in, sign out, the home page for each role, and the audit history page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe

from . import credentials
from .access import allow
from .credential_views import pending_start
from .forms import SignInForm
from .middleware import SIGNED_IN_COOKIE
from .oidc import oidc_enabled
from .roles import ALL_STAFF


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    """The sign-in page; says so when the user arrives because their session ran out."""

    form_class = SignInForm
    template_name = "registration/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        context["oidc_enabled"] = oidc_enabled()
        context["oidc_label"] = settings.PLO_OIDC_LABEL
        context["password_sign_in"] = settings.PLO_PASSWORD_SIGN_IN or not oidc_enabled()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Password sign-in switched off (single sign-on only): the form is not offered or accepted.
        if not settings.PLO_PASSWORD_SIGN_IN and oidc_enabled():
            return HttpResponseRedirect(request.path)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        """A right password: sign in, or (second factor) go on to the code page without signing in."""
        user = form.get_user()
        if not credentials.second_factor_required(user):
            return super().form_valid(form)  # the embedded demo's relaxation (PLO_PASSWORD_2FA_REQUIRED off)
        if not credentials.has_second_factor(user):
            form.add_error(
                None,
                "Your account's second factor is not set up yet. Use the link in your invitation email, "
                "or ask for a new link with \u201cForgotten your password?\u201d below.",
            )
            return self.form_invalid(form)
        pending_start(self.request, user, getattr(user, "backend", ""), self.get_success_url())
        return HttpResponseRedirect(reverse("accounts:second-factor"))


sign_in = SignInView.as_view()


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and forget the signed-in marker."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response.delete_cookie(SIGNED_IN_COOKIE)
        return response


sign_out = allow(ALL_STAFF)(SignOutView.as_view())


@login_not_required
@require_safe
def signed_out(request: HttpRequest) -> HttpResponse:
    """Confirmation that the user has signed out."""
    response = render(request, "registration/signed_out.html")
    response.delete_cookie(SIGNED_IN_COOKIE)
    return response
