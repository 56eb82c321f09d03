"""Test settings: the base settings with fast hashing, eager-free Celery and a quiet mailer."""

import os

os.environ.setdefault("PLO_INSECURE_DEV_KEY", "1")
os.environ.setdefault("PLO_HTTPS", "0")
os.environ.setdefault("PLO_MANIFEST_STATIC", "0")
# People without a second factor sign in with the password alone, so browser tests sign in through
# the real page in one step; the second-factor tests switch it back on (accounts/tests/test_second_factor.py).
os.environ.setdefault("PLO_PASSWORD_2FA_REQUIRED", "0")

from .base import *  # noqa: F403  (these settings are the base ones plus what follows)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
DEBUG = False
ALLOWED_HOSTS = ["*"]

# Each test run gets its own throwaway database, so runs started side by side never collide.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("PLO_TEST_DB_NAME", f"test_plo_tracker_{os.getpid()}")}  # noqa: F405  (DATABASES comes from base)

# The same middleware, with WhiteNoise's listing of the static files made once per process rather
# than once per test client (plo_tracker/tests/static_files.py).
_WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"
MIDDLEWARE = [
    "plo_tracker.tests.static_files.WhiteNoiseListedOnce" if name == _WHITENOISE else name
    for name in MIDDLEWARE  # noqa: F405  (MIDDLEWARE comes from base)
]
