from django.urls import path

from . import oidc, views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("signed-out/", views.signed_out, name="signed-out"),
    path("sso/start/", oidc.start, name="oidc-start"),
    path("sso/callback/", oidc.callback, name="oidc-callback"),
]
