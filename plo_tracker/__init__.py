"""PLO Tracker: pre-proceedings under the Public Law Outline, tracked to the working day."""

from .celery import app as celery_app

__all__ = ("celery_app",)
