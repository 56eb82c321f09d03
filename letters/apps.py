from django.apps import AppConfig


class LettersConfig(AppConfig):
    verbose_name = "Letters and papers"
    name = "letters"
