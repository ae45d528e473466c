"""Settings: one module, every value from the environment (see .env.example).

`DJANGO_DEBUG=false` is production mode: it refuses to start with the development
secrets or without `DJANGO_ALLOWED_HOSTS`.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"
DEV_JWT_SIGNING_KEY = "dev-only-insecure-jwt-signing-key-change-me-0123456789"
TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A true/false variable, or a refusal to start: django-environ reads any word it does not
    know (`ture`) as false, which would silently turn rate limits or debug mode off/on."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not true or false (true/false, 1/0, yes/no, on/off).")


def production_secret(name: str, value: str, *, dev_value: str) -> None:
    """Production mode refuses a secret that is the development one, short, or a placeholder
    copied from an example (`change-me…`)."""
    if value == dev_value or len(value) < 50 or "change-me" in value.lower():
        raise ImproperlyConfigured(
            f"{name} must be set to a long random value (50+ characters, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`) when DJANGO_DEBUG=false."
        )


DEBUG = env_bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"] if DEBUG else []
)

if not DEBUG:
    production_secret("DJANGO_SECRET_KEY", SECRET_KEY, dev_value=DEV_SECRET_KEY)
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=false.")
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must name the hosts when DJANGO_DEBUG=false, not '*' "
            "(Host header attacks: password-reset links, cache poisoning)."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "channels",
    "django_celery_beat",
    "simple_history",
    "workshop",
    "workshop.imports",  # the import records (ExcelImport, ImportSchedule): label "imports"
    "workshop.jobs",
    "workshop.webhooks",
    "workshop.history",
    "staff",
    "machines",
    "workorders",
    "equipment",
    "inspections",
    "inventory",
    "dashboard",
]

MIDDLEWARE = [
    # django-prometheus: Before first and After last, so the request series time everything
    # in between (workshop/metrics.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "workshop.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "workshop.middleware.ChunkedBodyMiddleware",
    # `?limit=` (any query parameter given empty) on /api/v1/ is the parameter left out.
    "workshop.api.params.EmptyQueryParamsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "workshop.metrics.PrometheusAfterMiddleware",
]

if not DEBUG:
    # Static files (admin, Swagger UI, Redoc) served by the app itself in production;
    # runserver serves them in development.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "workshop.urls"
# ASGI (HTTP and WebSocket, workshop.asgi) is how the app is served; the WSGI entry point
# stays valid for HTTP-only deployments.
ASGI_APPLICATION = "workshop.asgi.application"
# HTTP requests one ASGI server process runs at once, each on a thread; more wait their turn
# (workshop.middleware.RequestSlots). WebSockets are not counted.
ASGI_THREADS = env.int("ASGI_THREADS", default=4)
if ASGI_THREADS < 1:
    raise ImproperlyConfigured("ASGI_THREADS must be 1 or more.")
WSGI_APPLICATION = "workshop.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # workshop/templates first: its rest_framework/api.html replaces DRF's user menu.
        "DIRS": [BASE_DIR / "workshop" / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", default=True):
    # psycopg's connection pool, one per process: under ASGI each request runs its sync code
    # on a thread of its own, so persistent per-thread connections (CONN_MAX_AGE) would pile
    # up; a pool hands each request a connection and takes it back (CONN_MAX_AGE must be 0).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and a management command share the file;
    # IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers wait for it
    # (up to the timeout) instead of failing at once when a read lock cannot be upgraded.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# django-prometheus's wrappers of the same engines: every query counted and timed
# (django_db_*). With the pool, its new-connection counter counts checkouts from the pool.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Every key the app keeps in Redis (cache, channel layer, Celery, events) starts with this, so
# several apps or environments can share one Redis.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="weldshop")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis, with hit/miss counters and timings (workshop/metrics.py)
            "BACKEND": "workshop.metrics.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "workshop.metrics.LocMemCache"}}

# --- background jobs (Celery; SPEC §5) --------------------------------------------------------
# The broker and results on the shared Redis. Without it (the default run) jobs run eagerly,
# in the process that asks for them, so `scripts/run` needs nothing else.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A job's message is acknowledged when the job has finished, and handed to another worker if
# the one running it dies: a job is never lost. It is never applied twice either: the job row
# says whether it already ran (workshop/jobs/services.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest a job may run; the broker hands an unacknowledged message to another worker
# only after `visibility_timeout`, which must be longer.
JOB_TIME_LIMIT = env.int("JOB_TIME_LIMIT", default=2 * 3600)
CELERY_TASK_TIME_LIMIT = JOB_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = JOB_TIME_LIMIT - 60
_celery_transport = {
    "visibility_timeout": JOB_TIME_LIMIT + 3600,
    # Several apps (or test runs) may share one Redis: every key of ours has the prefix.
    "global_keyprefix": f"{CACHE_KEY_PREFIX}:celery:",
}
CELERY_BROKER_TRANSPORT_OPTIONS = _celery_transport
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = _celery_transport
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "weldshop"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the app's JSON logging (workshop.logging)
CELERY_WORKER_SEND_TASK_EVENTS = False
# Exactly one `celery -A workshop beat` sends these (it keeps them in the database: the admin's
# "Periodic tasks" shows and pauses them).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "imports-queue-due-schedules": {"task": "imports.queue_due_schedules", "schedule": 60.0},
    "jobs-requeue-stale": {"task": "jobs.requeue_stale", "schedule": 60.0},
    "jobs-clean-up": {"task": "jobs.clean_up", "schedule": 3600.0},
    # Webhook retries and messages whose worker was lost (their schedule is in the database);
    # a sweep not started within 10 s is dropped (the next one does its work).
    "webhooks-deliver-due": {
        "task": "webhooks.deliver_due",
        "schedule": 5.0,
        "options": {"expire_seconds": 10},
    },
    "webhooks-clean-up": {"task": "webhooks.clean_up", "schedule": 3600.0},
    "history-prune": {"task": "history.prune", "schedule": 24 * 3600.0},
}
# Jobs: how many times a job whose worker died is started again before it fails; how long a
# finished job (and its files) is kept.
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
JOB_RETENTION_DAYS = env.int("JOB_RETENTION_DAYS", default=7)
# Webhooks (SPEC §7, docs/webhooks.md): private/loopback/link-local targets are refused unless
# allowed (a receiver on the same host or network); https only unless DEBUG (or set); the
# timeout of one attempt (connect and answer), in seconds.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# Days finished deliveries (and their attempts) are kept.
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
if not 0 < WEBHOOK_TIMEOUT <= 60:
    raise ImproperlyConfigured(
        f"WEBHOOK_TIMEOUT={WEBHOOK_TIMEOUT!r} must be more than 0 and at most 60 seconds."
    )
# History of every record (SPEC §7): days its versions are kept (each record's latest stays);
# unset or empty: everything is kept.
HISTORY_RETENTION_DAYS = (
    env.int("HISTORY_RETENTION_DAYS", default=None) if env.str("HISTORY_RETENTION_DAYS", default="") else None
)
# An import whose sheet has more rows than this runs as a job (202) even without
# `Prefer: respond-async`.
IMPORT_SYNC_MAX_ROWS = env.int("IMPORT_SYNC_MAX_ROWS", default=20_000)

# Welding quality (WELDING.md): the shop's ISO 3834 certification — `none`, `2`, `3` or `4`.
# ISO 9606-1 route 9.3c (validity by continuity alone) needs part 2 or 3.
WELDSHOP_ISO3834_PART = env.str("WELDSHOP_ISO3834_PART", default="none").strip().lower()
if WELDSHOP_ISO3834_PART not in {"none", "2", "3", "4"}:
    raise ImproperlyConfigured(f"WELDSHOP_ISO3834_PART={WELDSHOP_ISO3834_PART!r} is not none, 2, 3 or 4.")

# Channels: the layer that carries live events to every socket, on every app host, through
# the shared Redis; in memory (one process: scripts/run) without it.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": f"{CACHE_KEY_PREFIX}:asgi",
                # A socket's channel holds this many undelivered messages; past it, new ones are
                # dropped (a client that stops reading catches up by replay).
                "capacity": env.int("CHANNELS_CAPACITY", default=1000),
                "expiry": 60,
                # Sockets stay in their groups for as long as they are open (default: a day).
                "group_expiry": 7 * 24 * 3600,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Live events (workshop/events, docs/events.md): the stream every event goes through, in Redis
# with REDIS_URL (else in this process's memory), capped at about EVENTS_STREAM_MAXLEN events;
# a socket that reconnects gets what it missed in the last EVENTS_REPLAY_SECONDS.
EVENTS_REPLAY_SECONDS = env.int("EVENTS_REPLAY_SECONDS", default=3600)
EVENTS_STREAM_MAXLEN = env.int("EVENTS_STREAM_MAXLEN", default=10_000)
EVENTS_STREAM_KEY = f"{CACHE_KEY_PREFIX}:events"
if EVENTS_REPLAY_SECONDS < 0 or EVENTS_STREAM_MAXLEN < 1:
    raise ImproperlyConfigured("EVENTS_REPLAY_SECONDS must be 0 or more and EVENTS_STREAM_MAXLEN 1 or more.")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
IMPORT_DROP_DIR = Path(env.str("IMPORT_DROP_DIR", default=str(MEDIA_ROOT / "dropbox")))
# With STORAGE_BACKEND=s3, scheduled imports read `<IMPORT_DROP_PREFIX><source>` in the bucket.
IMPORT_DROP_PREFIX = env.str("IMPORT_DROP_PREFIX", default="dropbox/")
# Dashboard: seconds a result stays cached (a write clears it at once), rows per list. Only
# with a shared cache by default: in one process's local memory, a write made by another
# process (a second worker, `manage.py import_excel`) could not clear it.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60 if REDIS_URL else 0)
DASHBOARD_LIST_LIMIT = env.int("DASHBOARD_LIST_LIMIT", default=20)
# Caps on untrusted workbooks (see workshop/imports/reader.py).
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_UNCOMPRESSED_MB = env.int("IMPORT_MAX_UNCOMPRESSED_MB", default=200)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=5_000_000)  # rows × columns a sheet may span
IMPORT_MAX_ZIP_ENTRIES = env.int("IMPORT_MAX_ZIP_ENTRIES", default=1000)
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=200)
UPLOAD_MAX_MB = env.int("UPLOAD_MAX_MB", default=10)

STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND not in {"local", "s3"}:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
if STORAGE_BACKEND == "s3":
    from botocore.config import Config as BotocoreConfig

    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),
            "endpoint_url": _endpoint,
            "file_overwrite": False,  # a second upload of the same name never replaces the first
            "querystring_expire": 300,  # presigned download links live five minutes
            "default_acl": None,
            "client_config": BotocoreConfig(
                # Path-style for S3-compatible servers on an endpoint (no bucket subdomain DNS).
                s3={"addressing_style": "path" if _endpoint else "auto"},
                signature_version="s3v4",
                # Checksums only where S3 requires them: some S3-compatible servers refuse
                # boto3's default CRC headers.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 2},
            ),
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The browsable API (and its session login at /api-auth/) in development only.
BROWSABLE_API = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workshop.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["workshop.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "workshop.api.pagination.EnvelopePagination",
    "DEFAULT_FILTER_BACKENDS": [
        "workshop.api.filters.StrictQueryParamsBackend",
        "workshop.api.filters.FilterBackend",
        "workshop.api.filters.SearchBackend",
        "workshop.api.filters.SortBackend",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if BROWSABLE_API else []),
    # JSON in (SPEC §3); the upload and import actions set MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["workshop.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "workshop.api.parsers.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "workshop.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "workshop.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["workshop.api.ratelimit.RateLimitThrottle"],
    "SEARCH_PARAM": "search",
    "ORDERING_PARAM": "ordering",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATE_FORMAT": "iso-8601",  # YYYY-MM-DD; strftime would not zero-pad years before 1000
    "COERCE_DECIMAL_TO_STRING": False,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=DEV_JWT_SIGNING_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}
if not DEBUG:
    production_secret("JWT_SIGNING_KEY", SIMPLE_JWT["SIGNING_KEY"], dev_value=DEV_JWT_SIGNING_KEY)
    if SIMPLE_JWT["SIGNING_KEY"] == SECRET_KEY:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY (tokens have their own key)."
        )

SPECTACULAR_SETTINGS = {
    "TITLE": "Weldshop API",
    "DESCRIPTION": "Work orders, welders, machines, equipment, QC inspections and consumables "
    "of a welding workshop. Errors always carry `detail`, `error_code`, `timestamp` and `request_id`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations grouped by resource (their tag is the path's first part after /api/v1/:
    # `workorders`, `qualifications`, `weld-log`, …), not all under `api`.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Some 150 operations: the docs open with the resources folded (a click, or a link such
    # as /api/docs/#/workorders, opens one), and a box filters them by name.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "docExpansion": "none", "filter": True},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ImportStatusEnum": "workshop.imports.models.ImportStatus",
        "MovementReasonEnum": "inventory.models.MovementReason",
        "AnalyticsIntervalEnum": "dashboard.analytics.query.INTERVALS",
        "AnalyticsWorkOrdersGroupByEnum": "dashboard.analytics.workorders.GROUP_BY",
        # The welding vocabulary (WELDING.md §1), shared by several fields and resources.
        "ProcessEnum": "staff.welding_choices.Process",
        "PositionEnum": "staff.welding_choices.Position",
        "ProductFormEnum": "staff.welding_choices.ProductForm",
        "WeldTypeEnum": "staff.welding_choices.WeldType",
        "QualificationStatusEnum": "staff.welding_choices.QualificationStatus",
        # An employee's `qualification_status` (qualified/expiring/lapsed/none), not the above.
        "WelderStatusEnum": "staff.welding_choices.WelderStatus",
        # VT/PT/MT/UT/RT: an inspection's `method` and a weld's `ndt_required`.
        "NdtMethodEnum": "staff.welding_choices.NdtMethod",
        # A user's role: `User.role` and `Me.role`.
        "RoleEnum": "workshop.roles.ROLES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "workshop.api.schema.empty_values_are_absent",
        "workshop.api.schema.partial_records_for_fields",
    ],
}


# Rate limits (workshop/api/ratelimit.py): counters in the default cache, shared through Redis.
def _rate(name: str, default: str) -> str:
    """A rate as django-ratelimit reads it — `<count>/<period>`, the period `s`, `m`, `h` or
    `d` with an optional multiplier (`10/5m`) — or a refusal to start: django-ratelimit itself
    would read `100/M` or `100` as 100 a second, and fail open on anything it cannot parse."""
    value = env.str(name, default=default).strip()
    count, slash, period = value.partition("/")
    multiplier, unit = period[:-1], period[-1:]
    if not (
        slash
        and count.isdecimal()
        and unit in ("s", "m", "h", "d")
        and (multiplier == "" or (multiplier.isdecimal() and int(multiplier) > 0))
    ):
        raise ImproperlyConfigured(
            f"{name} must look like 100/m (a count, '/', then s, m, h or d); got {value!r}."
        )
    return value


# Conditional requests (SPEC §7, workshop/api/conditional.py): If-Match mandatory on writes to
# a record (428 without it); ETags on list pages too (details always have one).
REQUIRE_IF_MATCH = env_bool("REQUIRE_IF_MATCH", default=False)
LIST_ETAGS = env_bool("LIST_ETAGS", default=True)

RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_GENERAL = _rate("RATELIMIT_GENERAL", "100/m")
RATELIMIT_UPLOAD = _rate("RATELIMIT_UPLOAD", "10/m")
RATELIMIT_AUTH = _rate("RATELIMIT_AUTH", "5/m")
RATELIMIT_FAIL_OPEN = True  # a cache outage must not take the API down
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
if TRUSTED_PROXY_HOPS < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_HOPS must be 0 or more.")

# Metrics (workshop/metrics.py): /metrics answers clients in METRICS_ALLOWED_IPS (addresses
# or networks; the client IP as TRUSTED_PROXY_HOPS gives it) and requests carrying
# `Authorization: Bearer <METRICS_TOKEN>` (unset: no token access); anyone else gets a 404.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
for _entry in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_entry.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_entry!r} is not an IP address or network (e.g. 10.0.0.0/8)."
        ) from None
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    # /metrics is not rate-limited: a short token could be guessed.
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters (or unset).")
# Request and database latency buckets (seconds), finer than django-prometheus's (10 ms up).
PROMETHEUS_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    float("inf"),
)
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Every process that records metrics writes there (a manage.py command too).
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

# --- security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Production mode: HTTPS only (health checks from the load balancer may stay on HTTP).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health(/.*)?$", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Opt-in: behind a proxy that sets X-Forwarded-Proto (and strips it from clients).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# CORS: the explicit origin list only (never a wildcard).
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = [
    "Content-Disposition",
    "ETag",
    "Retry-After",
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]

# Content Security Policy (django-csp). Swagger UI's start-up script is served as a file
# (SpectacularSwaggerSplitView), so no inline script is allowed anywhere; inline styles are,
# for the admin and Swagger UI. ReDoc runs a worker from a blob: URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        # ReDoc's sidebar footer always loads Redocly's logo from its CDN (no option turns it
        # off); allowed so the page works without a CSP violation — offline it just fails.
        "img-src": ["'self'", "data:", "https://cdn.redoc.ly"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="json").strip().lower()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL.")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or console.")
LOGGING_CONFIG = None  # workshop.logging configures stdlib logging and structlog together
from workshop.logging import configure_logging  # noqa: E402

configure_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)

APP_VERSION = __import__("workshop").__version__

# Error tracking (workshop/sentry.py): sentry-sdk when SENTRY_DSN is set, nothing otherwise.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
try:
    SENTRY_TRACES_SAMPLE_RATE = float(env.str("SENTRY_TRACES_SAMPLE_RATE", default="0"))
except ValueError:
    SENTRY_TRACES_SAMPLE_RATE = -1.0
if not 0.0 <= SENTRY_TRACES_SAMPLE_RATE <= 1.0:
    raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1.")
from workshop.sentry import init_sentry  # noqa: E402

init_sentry(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    release=APP_VERSION,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
