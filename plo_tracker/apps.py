from django.apps import AppConfig


class PloTrackerConfig(AppConfig):
    name = "plo_tracker"
    verbose_name = "PLO Tracker"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from .text import clean_on_save

        # No text with hidden bidirectional or control characters is stored, whatever saves it.
        pre_save.connect(clean_on_save, dispatch_uid="plo_tracker.clean_on_save", weak=False)
