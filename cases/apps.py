from django.apps import AppConfig


class CasesConfig(AppConfig):
    verbose_name = "Families and cases"
    name = "cases"
