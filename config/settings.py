"""Settings for both deployment shapes, chosen by environment variables only.

Embedded default (nothing set): SQLite in WAL mode and Celery on kombu's filesystem broker,
everything under ``CAS_DATA_DIR``. Production (``CAS_DEPLOYMENT=production``): PostgreSQL and
Redis from ``DATABASE_URL`` / ``CELERY_BROKER_URL``, a real ``SECRET_KEY`` required, HTTPS-only
cookies and HSTS so that ``manage.py check --deploy`` is clean.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEPLOYMENT = os.environ.get("CAS_DEPLOYMENT", "embedded")
if DEPLOYMENT not in {"embedded", "production"}:
    raise RuntimeError("CAS_DEPLOYMENT must be 'embedded' or 'production'")
PRODUCTION = DEPLOYMENT == "production"

DATA_DIR = Path(os.environ.get("CAS_DATA_DIR", BASE_DIR / "var")).resolve()


def _embedded_secret_key() -> str:
    """A per-installation key kept beside the data, never in the repository."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set in production")
    SECRET_KEY = _embedded_secret_key()

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_htmx",
    "cases",
    "transfers",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cases.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: DATABASE_URL wins; otherwise the embedded SQLite file.
_sqlite_path = DATA_DIR / "cas.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web process read while the worker writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue instead of failing mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("CAS_TEST_SQLITE_NAME") or None}
else:
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    if PRODUCTION and os.environ.get("DATABASE_SSLMODE"):
        _pg_options["sslmode"] = os.environ["DATABASE_SSLMODE"]
    # Server-side binding lets psycopg prepare a statement the connection has run
    # DATABASE_PREPARE_THRESHOLD times, so PostgreSQL stops planning the same scoped case read
    # on every request (2.6 ms of its 4.5 ms; docs/benchmarks.md), and Python stops quoting
    # parameters into the SQL. "off" for a pooler in transaction mode that cannot keep
    # prepared statements (PgBouncer before 1.21, or without max_prepared_statements).
    _prepare = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
    if _prepare != "off":
        _pg_options["server_side_binding"] = True
        _pg_options["prepare_threshold"] = int(_prepare)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cases.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en-us"
# Every instant is stored in UTC; sector time zones are for display only.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("CAS_MANIFEST_STATIC", PRODUCTION)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CAS_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Security: production is HTTPS-only; the embedded default serves plain HTTP on localhost.
SECURE = env_bool("CAS_SECURE", PRODUCTION)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Login throttling (django-axes): lock a username+address after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# A lockout answers 429 (the API's error shape under /api/), for the token endpoint and
# every session login alike.
AXES_LOCKOUT_CALLABLE = "cases.api_errors.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.api.authentication.TokenWithUnitAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "cases.api.policies.JSONAnswers",
    "EXCEPTION_HANDLER": "cases.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "cases.api.policies.PerUserThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("CAS_USER_RATE", "3000/min"),
        "anon": os.environ.get("CAS_ANON_RATE", "60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Case acceptance API",
    "DESCRIPTION": "Border custody cases, legal clocks, placements and the event feed. "
    'Every 4xx answer is `{"error": {"code", "message", "fields"?}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "dbid": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "cases.models.UnitKind",
        "DocumentKindEnum": "cases.models.DocumentKind",
        # transfers
        "CriminalHistoryStatusEnum": "transfers.models.CheckStatus",
        "InvoiceLineStatusEnum": "transfers.models.LineStatus",
        "PlacementStateEnum": "transfers.models.PlacementState",
        "MovementStateEnum": "transfers.models.MovementState",
        "ClockStatusEnum": "cases.models.ClockStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cases.api.schema.add_error_responses",
    ],
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
        if os.environ.get("CACHE_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache"
            if PRODUCTION
            else "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cas_cache",
        }
    )
}

# Celery: the database is the truth; the broker only carries wake-ups.
_broker_dir = DATA_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport with atomic writes (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "cas"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CAS_SWEEP_INTERVAL_SECONDS = float(os.environ.get("CAS_SWEEP_INTERVAL_SECONDS", "30"))
# --- SLA clocks: beat wakes the sweep; the deadlines live in the database (cases/sla.py).
# A wake-up older than one interval is dropped (expires), so a backlog after an outage
# collapses into the next sweep instead of queueing hundreds of identical ones.
CELERY_BEAT_SCHEDULE: dict = {
    "sla-sweep-clocks": {
        "task": "cases.sweep_clocks",
        "schedule": CAS_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": max(CAS_SWEEP_INTERVAL_SECONDS, 5.0)},
    },
}
# --- end SLA clocks

# --- notifications: fan-out catch-up, outbound retries, hourly digests ---------------------
NOTIFY_ON_COMMIT = os.environ.get("CAS_NOTIFY_ON_COMMIT", "task")  # task | inline | off
NOTIFY_CATCH_UP_SECONDS = float(os.environ.get("CAS_NOTIFY_CATCH_UP_SECONDS", "30"))
NOTIFY_DEFAULT_EMAIL_MODE = os.environ.get("CAS_NOTIFY_DEFAULT_EMAIL_MODE", "immediate")
NOTIFY_QUEUE_DIGEST_THRESHOLD = int(os.environ.get("CAS_NOTIFY_QUEUE_DIGEST_THRESHOLD", "5"))
NOTIFY_RETRY_BASE_SECONDS = float(os.environ.get("CAS_NOTIFY_RETRY_BASE_SECONDS", "30"))
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("CAS_NOTIFY_MAX_ATTEMPTS", "6"))
NOTIFY_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("CAS_NOTIFY_WEBHOOK_TIMEOUT", "10"))
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-catch-up": {
            "task": "notifications.fan_out",
            "schedule": NOTIFY_CATCH_UP_SECONDS,
        },
        "notifications-dispatch": {"task": "notifications.dispatch", "schedule": 30.0},
        "notifications-digests": {"task": "notifications.digests", "schedule": 3600.0},
    }
)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cas-noreply@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
