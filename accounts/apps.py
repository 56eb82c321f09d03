from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, oidc, signals  # noqa: F401  (sign-in bookkeeping; the system checks)
        from .services import roles_ensure

        post_migrate.connect(lambda **kwargs: roles_ensure(), dispatch_uid="accounts.roles_ensure", weak=False)
