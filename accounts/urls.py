from django.urls import path

from imports import staff_views as staff_import_views

from . import credential_views, oidc, staff_views, views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("signed-out/", views.signed_out, name="signed-out"),
    path("sso/start/", oidc.start, name="oidc-start"),
    path("sign-in/code/", credential_views.second_factor, name="second-factor"),
    path("set-up/", credential_views.set_up, name="set-up"),
    path("set-up/password/", credential_views.set_up_password, name="set-up-password"),
    path("set-up/second-factor/", credential_views.set_up_second_factor, name="set-up-second-factor"),
    path("set-up/recovery-codes/", credential_views.recovery_codes, name="recovery-codes"),
    path("password-reset/", credential_views.password_reset, name="password-reset"),
    path("staff/invite/", credential_views.staff_invite_all, name="staff-invite-all"),
    path("staff/<int:pk>/invite/", credential_views.staff_invite, name="staff-invite"),
    path("staff/<int:pk>/revoke/", credential_views.staff_revoke, name="staff-revoke"),
    path("staff/", staff_views.staff_list, name="staff-list"),
    path("staff/add/", staff_views.staff_add, name="staff-add"),
    path("staff/import/", staff_import_views.staff_upload, name="staff-import"),
    path("staff/import/<int:pk>/", staff_import_views.staff_preview, name="staff-import-preview"),
    path("staff/import/<int:pk>/progress/", staff_import_views.staff_job, name="staff-import-job"),
    path("staff/<int:pk>/", staff_views.staff_edit, name="staff-edit"),
    path("staff/<int:pk>/calendar-address/", staff_views.staff_calendar_reset, name="staff-calendar-reset"),
    path("staff/<int:pk>/reallocate/", staff_views.staff_reallocate, name="staff-reallocate"),
    path("teams/add/", staff_views.team_edit, name="team-add"),
    path("teams/<int:pk>/", staff_views.team_edit, name="team-edit"),
    path("service-areas/add/", staff_views.area_edit, name="area-add"),
    path("service-areas/<int:pk>/", staff_views.area_edit, name="area-edit"),
    path("sso/callback/", oidc.callback, name="oidc-callback"),
]
