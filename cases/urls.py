from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.family_list, name="family-list"),
    path("new/", views.family_create, name="family-create"),
    path("mine/", views.my_cases, name="my-cases"),
    path("families/<int:pk>/", views.family_detail, name="family-detail"),
    path("families/<int:pk>/edit/", views.family_edit, name="family-edit"),
    path("families/<int:pk>/restriction/", views.family_restriction, name="family-restriction"),
    path("families/<int:pk>/close/", views.family_close, name="family-close"),
    path("families/<int:pk>/reopen/", views.family_reopen, name="family-reopen"),
    path("families/<int:pk>/children/add/", views.child_add, name="child-add"),
    path("children/<int:pk>/edit/", views.child_edit, name="child-edit"),
    path("families/<int:pk>/people/add/", views.person_add, name="person-add"),
    path("people/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("episodes/<int:pk>/letter/", views.letter_update, name="letter"),
    path("episodes/<int:pk>/letter/deliver/", views.letter_deliver, name="letter-deliver"),
    path("episodes/<int:pk>/extension/", views.extension_agree, name="extension"),
    path("episodes/<int:pk>/end/", views.episode_end, name="episode-end"),
    path("episodes/<int:pk>/exit-letter/", views.exit_letter, name="exit-letter"),
    path("episodes/<int:pk>/proposed-agreement/", views.proposed_agreement, name="proposed-agreement"),
    path("episodes/<int:pk>/signed-agreement/", views.signed_agreement, name="signed-agreement"),
    path("episodes/<int:pk>/assessments/add/", views.assessment_add, name="assessment-add"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment-edit"),
    path("assessments/<int:pk>/approve-cost/", views.assessment_approve_cost, name="assessment-approve-cost"),
    path("episodes/<int:pk>/proceedings/", views.proceedings_edit, name="proceedings"),
    path("episodes/<int:pk>/hearings/add/", views.hearing_add, name="hearing-add"),
    path("episodes/<int:pk>/court-extension/", views.court_extension_add, name="court-extension"),
    path("deadlines/<int:pk>/waive/", views.deadline_waive_view, name="deadline-waive"),
    path("export/national-data/", views.national_export, name="national-export"),
    path("export/national-data/jobs/<int:pk>/", views.national_export_job, name="national-export-job"),
    path(
        "export/national-data/jobs/<int:pk>/download/",
        views.national_export_download,
        name="national-export-download",
    ),
]
