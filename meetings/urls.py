from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("families/<int:pk>/lpm-request/", views.lpm_request, name="lpm-request"),
    path("families/<int:pk>/lpm-request/prepare/", views.lpm_request_prepare, name="lpm-request-prepare"),
    path("requests/<int:pk>/decide/", views.lpm_request_decide, name="lpm-request-decide"),
    path("requests/<int:pk>/documents/", views.lpm_request_documents, name="lpm-request-documents"),
    path("episodes/<int:pk>/lpm/", views.lpm_list, name="lpm-list"),
    path("lpms/<int:pk>/outcome/", views.lpm_outcome, name="lpm-outcome"),
    path("lpms/<int:pk>/edit/", views.lpm_edit, name="lpm-edit"),
    path("lpms/<int:pk>/legal-advice/", views.legal_advice, name="legal-advice"),
    path("episodes/<int:pk>/meetings/add/", views.meeting_add, name="meeting-add"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting-minutes"),
    path("lpms/<int:pk>/minutes/", views.lpm_minutes, name="lpm-minutes"),
    path("families/<int:pk>/permanency/add/", views.ppm_add, name="ppm-add"),
    path("permanency/<int:pk>/minutes/", views.ppm_minutes, name="ppm-minutes"),
]
