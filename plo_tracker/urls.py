"""URL configuration: each app has its own namespace."""

from django.contrib import admin
from django.urls import include, path

from accounts.views import sign_in
from cases import views as case_views

from . import audit, health, metrics

admin.site.site_header = "PLO Tracker administration"
admin.site.site_title = "PLO Tracker administration"
# One sign-in page, with the same rate limit, for the admin too. Django documents replacing the
# admin site's views; the stubs declare `login` a method, which mypy will not let us assign.
admin.site.login = sign_in  # type: ignore[method-assign,assignment]  # see above

urlpatterns = [
    path("", case_views.home, name="home"),
    path("health/", health.load_balancer, name="health"),
    path("health/live/", health.liveness, name="health-live"),
    path("health/ready/", health.readiness, name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("meetings/", include("meetings.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("tracker-meetings/", include("tracker_meetings.urls")),
    path("import/", include("imports.urls")),
    path("letters/", include("letters.urls")),
    path("audit/", audit.audit_history, name="audit-history"),
    path("admin/", admin.site.urls),
]

handler500 = "plo_tracker.views.server_error"
