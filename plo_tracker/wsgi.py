"""WSGI entry point (gunicorn plo_tracker.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.base")

application = get_wsgi_application()
