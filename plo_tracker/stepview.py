"""One clear page per step: a GOV.UK form whose submission calls a service.

A step view finds its record only through that record kind's visibility scope
(its app's scopes.py; 404 if the user may not see it, 403 if they may see but not change it), shows
the form, calls the service on a valid submission, and on a ValidationError shows the messages
beside the fields with everything the user typed kept. Subclasses declare which scope and how
to reach the family; they never look a record up themselves, so a new step cannot forget.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from accounts import scopes
from accounts.access import SignedInRequest
from accounts.roles import CASE_WRITERS, Role

from .forms import GOVUKForm
from .once import ALREADY_SAVED, ONCE_FIELD, AlreadySaved, CreateOnceForm, create_once, once_form


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

    # How the page finds its record: the record kind's scope (in the app that owns it, e.g.
    # cases.scopes.episodes_visible_to), the field the URL's `pk` matches, and the path from that
    # record to its family ("" when it is the family).
    scope: ClassVar[Callable[[Any], QuerySet[Any]]]
    lookup: ClassVar[str] = "pk"
    family_path: ClassVar[str] = ""
    # True when the record found is the parent of one this page creates (obj is then None).
    creates: ClassVar[bool] = False
    # True when a POST creates a record: the form carries a one-time token and a second POST of it
    # creates nothing (plo_tracker.once, issue 24 §6).
    creates_record: ClassVar[bool] = False
    # The deadline engine's refusals of dates in an impossible order (deadlines.services
    # EventOrderRefused) are shown beside the date the user typed: the deadline event each of the
    # page's date fields records, e.g. {"proceedings_issued": "issued_on"}.
    event_fields: ClassVar[dict[str, str]] = {}

    # Filled in by dispatch.
    family: Any
    obj: Any = None
    record: Any = None

    def get_queryset(self) -> Any:
        """The records this user may see, through the record kind's one visibility scope."""
        return type(self).scope(self.request.user)

    def resolve(self) -> tuple[Any, Any]:
        """(family, the record being edited or None), found through the scope; 404 if out of scope."""
        related = self.family_path.replace(".", "__")
        family_related = [f"{related}__{f}" if related else f for f in ("team", "social_worker", "team_manager")]
        qs = self.get_queryset().select_related(*([related] if related else []), *family_related)
        try:
            self.record = qs.get(**{self.lookup: self.kwargs["pk"]})
        except qs.model.DoesNotExist as exc:
            raise Http404("No such record") from exc
        family = attrgetter(self.family_path)(self.record) if self.family_path else self.record
        return family, None if self.creates else self.record

    def after_resolve(self) -> None:
        """Hook: read anything else the page needs from the request once the record is found."""

    def check_access(self) -> None:
        """Refuse users who may see the family but not record this step on it."""
        user = self.request.user
        if not scopes.can_edit(user, self.family):
            raise PermissionDenied("You can see this case but not change it.")
        if self.legal_advice and not scopes.can_record_legal_advice(user, self.family):
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

    def beside_its_field(self, exc: ValidationError, form: GOVUKForm) -> ValidationError:
        """An impossible order of dates keyed to this page's field for one of the two events."""
        events = getattr(exc, "events", ())
        field = next((self.event_fields[e] for e in events if self.event_fields.get(e) in form.fields), None)
        if field is None or hasattr(exc, "error_dict"):
            return exc
        return ValidationError({field: exc.messages})

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.family, self.obj = self.resolve()
        self.after_resolve()
        self.check_access()
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self) -> type[GOVUKForm]:
        """The page's form, with the one-time token when it creates a record."""
        return once_form(self.form_class) if self.creates_record else self.form_class

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form_class()(initial=self.get_initial(), **self.get_form_kwargs())
        return render(request, self.template_name, self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form_class()(data=request.POST, initial=self.get_initial(), **self.get_form_kwargs())
        if form.is_valid():
            try:
                if isinstance(form, CreateOnceForm):
                    token = form.cleaned_data.pop(ONCE_FIELD)  # not the service's: perform() may pass all data
                    result = create_once(token=token, by=request.user, create=lambda: self.perform(form))
                else:
                    result = self.perform(form)
            except AlreadySaved as already:
                messages.info(request, ALREADY_SAVED)
                return HttpResponseRedirect(self.get_success_url(already.record))
            except ValidationError as exc:
                form.add_service_errors(self.beside_its_field(exc, form))
            else:
                messages.success(request, self.success_message)
                return HttpResponseRedirect(self.get_success_url(result))
        return render(request, self.template_name, self.get_context_data(form=form), status=200)
