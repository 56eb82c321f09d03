from django.apps import AppConfig, apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, oidc, signals  # noqa: F401  (sign-in bookkeeping; the system checks)

        post_migrate.connect(_roles_after_migrate, dispatch_uid="accounts.roles_ensure", weak=False)


def _roles_after_migrate(sender: AppConfig, **kwargs: object) -> None:
    """Give each role's group its permissions once a migrate (or a flush) has finished.

    Django sends post_migrate once for every installed app with models, in INSTALLED_APPS order,
    and creates each app's permissions in its own turn: the roles are set once, on the last app's
    turn, when every permission exists. (On every app's turn, a flush in the tests set them 16
    times over.)"""
    from .services import roles_ensure

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and sender.label == with_models[-1].label:
        roles_ensure()
