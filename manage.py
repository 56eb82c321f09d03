#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.base")
    # Management commands (migrate, makemigrations, plo_timetable) may run with the dev-only key;
    # the web (wsgi) and Celery processes still refuse to start without DJANGO_SECRET_KEY, and
    # `check --deploy` reports the dev key as insecure.
    os.environ.setdefault("PLO_INSECURE_DEV_KEY", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
