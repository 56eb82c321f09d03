"""Admin for the council's own calendar: closure days and extra bank holidays (issue #3 item 2).

Only administrators use the admin (``is_staff``; their group's permissions are in
accounts/roles.py). Case data (episodes, stored deadlines, alerts) is deliberately not
registered: administrators run the system, they are not case workers, and must not browse
children's records through a back door.

A calendar change moves due dates "without a release" (timescales.md §1), so every open
episode's stored deadlines are recomputed when a day is added, moved or deleted. That runs
*after* the admin's transaction commits (``transaction.on_commit``) rather than inside it:

- the change is small and must stick even if one episode cannot be recomputed (say its pinned
  policy version is missing); ``deadlines_recompute_open`` recomputes each episode in its own
  transaction and reports the ones that failed, which are logged and shown to the administrator;
- the admin's transaction stays short instead of holding row locks while every open episode is
  recomputed (hundreds of episodes, each a handful of queries).

The cost is a short window after the commit where screens can show the old due dates.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from .models import ClosureDay, ExtraBankHoliday
from .services import deadlines_recompute_open

logger = logging.getLogger(__name__)


class CalendarDayAdmin(admin.ModelAdmin):
    """A day that is not a working day; saving or deleting one recomputes open episodes' deadlines."""

    ordering = ("date",)
    date_hierarchy = "date"
    list_per_page = 50

    @admin.display(description="Day", ordering="date")
    def weekday(self, obj: ClosureDay | ExtraBankHoliday) -> str:
        return f"{obj.date:%A}"

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or "date" in form.changed_data:
            self.recompute_after_commit(request)  # only the date matters to the calendar

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        self.recompute_after_commit(request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[models.Model]) -> None:
        super().delete_queryset(request, queryset)
        self.recompute_after_commit(request)

    def recompute_after_commit(self, request: HttpRequest) -> None:
        """Recompute every open episode once the calendar change is committed, and say so."""

        def recompute() -> None:
            try:
                count = deadlines_recompute_open()
            except ExceptionGroup as group:
                logger.error("Calendar change: %s", group, exc_info=group)
                details = "; ".join(f"{', '.join(getattr(exc, '__notes__', []))}: {exc}" for exc in group.exceptions)
                self.message_user(
                    request,
                    f"The calendar change is saved, but the {group.message} "
                    f"({details}). Their due dates are out of date until this is fixed.",
                    messages.ERROR,
                )
                return
            self.message_user(
                request,
                f"Deadlines recomputed with the new calendar for {count} open episode{'' if count == 1 else 's'}.",
                messages.INFO,
            )

        transaction.on_commit(recompute)


@admin.register(ClosureDay)
class ClosureDayAdmin(CalendarDayAdmin):
    list_display = ("date", "weekday", "reason")
    search_fields = ("reason",)


@admin.register(ExtraBankHoliday)
class ExtraBankHolidayAdmin(CalendarDayAdmin):
    list_display = ("date", "weekday", "name")
    search_fields = ("name",)
