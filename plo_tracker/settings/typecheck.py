"""Settings for mypy's Django plugin: the real settings, with nothing started and nothing connected.

The plugin imports settings to learn the installed apps and models. Without a DATABASE_URL the base
settings would start the embedded PostgreSQL, so a placeholder URL is given here; mypy never
connects to it.
"""

import os

os.environ.setdefault("PLO_INSECURE_DEV_KEY", "1")
os.environ.setdefault("DATABASE_URL", "postgres://typecheck@127.0.0.1:9/typecheck")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:9/0")

from .base import *  # noqa: F403  (these settings are the base ones plus what follows)
