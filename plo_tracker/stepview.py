"""One clear page per step: a GOV.UK form whose submission calls a service.

A step view finds the family the step belongs to (404 if the user may not see it, 403 if they
may see but not change it), shows the form, calls the service on a valid submission, and on a
ValidationError shows the messages beside the fields with everything the user typed kept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from accounts.access import SignedInRequest
from accounts.roles import CASE_WRITERS, Role

from .forms import GOVUKForm


class StepView(View, ABC):
    """Base for a page that records one step on a family's case through a service."""

    allowed_roles: ClassVar[frozenset[Role]] = CASE_WRITERS
    request: SignedInRequest  # RoleRequiredMiddleware let only signed-in staff through
    form_class: type[GOVUKForm]
    template_name = "step_form.html"
    title = ""
    caption = ""
    intro = ""
    success_message = "Saved"
    legal_advice = False  # a page showing or recording privileged legal advice

    # Filled in by setup_step.
    family: Any
    obj: Any = None

    @abstractmethod
    def get_family_and_object(self) -> tuple[Any, Any]:
        """Return (family, the record being edited or None); subclasses look them up from kwargs."""

    def check_access(self) -> None:
        """Refuse users who may see the family but not record this step on it."""
        from cases.selectors import can_edit, can_see_legal_advice

        user = self.request.user
        if not can_edit(user, self.family):
            raise PermissionDenied("You can see this case but not change it.")
        if self.legal_advice and not can_see_legal_advice(user, self.family):
            raise PermissionDenied("Legal advice is privileged.")

    def get_initial(self) -> dict[str, Any]:
        """Initial values for the form (the record's current values when editing)."""
        return {"version": getattr(self.obj, "version", None)}

    def get_form_kwargs(self) -> dict[str, Any]:
        """Extra keyword arguments for the form (choices that depend on the family)."""
        return {}

    @abstractmethod
    def perform(self, form: Any) -> Any:
        """Call the service with the cleaned data; raise ValidationError to show errors."""

    def get_success_url(self, result: Any) -> str:
        """Where to go after saving: the case page by default."""
        return reverse("cases:family-detail", args=[self.family.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Template context: the form, the family, titles and the back link."""
        return {
            "family": self.family,
            "obj": self.obj,
            "title": self.title,
            "caption": self.caption or f"{self.family.name} ({self.family.reference})",
            "intro": self.intro,
            "back_url": reverse("cases:family-detail", args=[self.family.pk]),
            **kwargs,
        }

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.family, self.obj = self.get_family_and_object()
        self.check_access()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form_class(initial=self.get_initial(), **self.get_form_kwargs())
        return render(request, self.template_name, self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form_class(data=request.POST, initial=self.get_initial(), **self.get_form_kwargs())
        if form.is_valid():
            try:
                result = self.perform(form)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, self.success_message)
                return HttpResponseRedirect(self.get_success_url(result))
        return render(request, self.template_name, self.get_context_data(form=form), status=200)
