"""Potten settings: one file, driven by the environment (see .env.example).

With no environment at all Potten runs on embedded defaults: SQLite and a
file-system Celery broker in var/, private files in var/media, mail to the
console. Production switches: DATABASE_URL, REDIS_URL, EMAIL_URL-style SMTP
settings, AWS_STORAGE_BUCKET_NAME for S3.
"""

import base64
import hashlib
import hmac
import secrets
import sys
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_choice, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("POTTEN_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# The test suite: fast hashing, in-memory mail, Celery tasks inline (see the end of this file).
TESTING = env_bool("POTTEN_TESTING", "pytest" in sys.modules)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
        return key
    # Embedded default: one random key per installation, kept in var/.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "viewflow",
    "viewflow.workflow",
    "accounts",
    "grants",
    "workflows",
    "reviewers",
    "notifications",
    "catalogue",
]

# viewflow would otherwise append its material-UI middleware; Potten has its own UI.
VIEWFLOW = {"AUTOREGISTER": False}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.security.NoStoreForAuthenticatedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.mfa.SecondFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
            # One way to write dates and amounts in every template: day, daytime, day_month, money.
            "builtins": ["common.templatetags.formatting"],
        },
    },
]

# Widgets (select lists, radio buttons, inputs) written in Python, exactly as Django's templates write them.
FORM_RENDERER = "common.widgets.WidgetRenderer"

# Database: SQLite in var/ unless DATABASE_URL is set.
_database_url = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "potten.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's cost of reading a page out of order, for every connection: 1.1 (PostgreSQL's default, 4, is
    # for spinning disks; Potten's tables are read from memory or SSD). With 4, a search at 10,000 applications
    # scanned every organisation's name with `~*` (5 ms) instead of its trigram index (0.2 ms). Appended to any
    # `options` a DATABASE_URL gives (`?options=…`).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c random_page_cost=1.1".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_SERVER_SIDE_BINDING", True):
    # PostgreSQL: parameters sent apart from the query (psycopg's server-side binding cursor), and a query run
    # DB_PREPARE_THRESHOLD times on a connection prepared by psycopg (at most 100 a connection, the least
    # recently used dropped), so the next runs skip parsing and, with a generic plan, planning. Connections
    # persist (DB_CONN_MAX_AGE), so the same pages' queries are prepared once per connection. Off with
    # DB_SERVER_SIDE_BINDING=false behind a pooler that cannot keep prepared statements (PgBouncer in
    # transaction mode before 1.21).
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "server_side_binding": True,
                                       "prepare_threshold": env_int("DB_PREPARE_THRESHOLD", 5, minimum=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same rules for the embedded default and a SQLite file named by DATABASE_URL: wait for a
    # writer instead of failing, take the write lock at BEGIN, and test on a file, not in memory, so a
    # Celery worker started by a test sees the test database.
    _sqlite_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["TEST"] = {"NAME": _sqlite_file.with_name(f"test-{_sqlite_file.name}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # ModelBackend reading roles and permissions in one query per request; ModelBackend stays listed for
    # sessions that recorded it (accounts/access.py).
    "accounts.access.AccessBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: e-mail is the login, verified before first login; rate limits stay on.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Potten] "
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Login rate limits (accounts/login_limits.py): failed logins are counted per address, per (address, account)
# and per account; the per-account limit is skipped for a browser or address the account logged in from before,
# so no one can lock a person out from elsewhere. Refusals answer 429. "login" counts every login POST;
# "login_failed" is what allauth.mfa uses for wrong MFA codes (per address and per user).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "login_failed_ip": "10/m/ip,60/h/ip",
    "login_failed_ip_account": "5/5m/key",
    "login_failed_account": "20/h/key",
}
# Behind a reverse proxy: how many proxies append to X-Forwarded-For (the limits need the client's address).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Second factor (accounts/mfa.py): TOTP with recovery codes, required for every staff role and the admin.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Potten"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, for phone clocks that drift


def _mfa_encryption_keys() -> list[str]:
    """The keys of the second factor's secrets at rest (accounts/mfa_secrets.py): the current key first, then the
    old ones still accepted. MFA_ENCRYPTION_KEY is a Fernet key; unset, one is derived from SECRET_KEY (and when it
    is set, the derived key stays accepted, so secrets stored before it was set can still be read)."""
    derived = base64.urlsafe_b64encode(
        hmac.new(SECRET_KEY.encode("utf-8"), b"potten.mfa.encryption-key", hashlib.sha256).digest()).decode("ascii")
    current = env_str("MFA_ENCRYPTION_KEY").strip()
    keys = [current or derived, *env_list("MFA_ENCRYPTION_OLD_KEYS", []), *([derived] if current else [])]
    for name, key in [("MFA_ENCRYPTION_KEY", current), *(("MFA_ENCRYPTION_OLD_KEYS", k) for k in keys[1:])]:
        try:
            if key:
                Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} holds a value that is not a Fernet key (32 bytes in URL-safe base64); make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from None
    return list(dict.fromkeys(keys))


MFA_ENCRYPTION_KEYS = _mfa_encryption_keys()

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# The preload token (what check --deploy asks for) by default once HSTS lasts a year; it only permits the
# registrable domain's owner to submit it to the browsers' list (hstspreload.org), nothing more.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31536000)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Language: Swedish first, English complete.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# Files: private. Local folder by default (never served directly), S3 in production.
MEDIA_ROOT = VAR_DIR / "media"
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 60, minimum=1),
        },
    }
else:
    _file_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
STORAGES = {
    "default": _file_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage" if not DEBUG and not TESTING
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Files Potten writes (uploads, decision letters, reports) are readable by its own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# Mail: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
else:
    EMAIL_BACKEND = env_choice(
        "EMAIL_BACKEND",
        "django.core.mail.backends.console.EmailBackend",
        (
            "django.core.mail.backends.console.EmailBackend",
            "django.core.mail.backends.filebased.EmailBackend",
            "django.core.mail.backends.locmem.EmailBackend",
        ),
    )
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Potten <noreply@potten.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the accessibility statement (/tillganglighet/) tells people to report problems.
ACCESSIBILITY_CONTACT = env_str("ACCESSIBILITY_CONTACT", "")

# Celery: Redis when REDIS_URL is set, otherwise a broker in var/ that needs no service.
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
REDIS_CONNECT_TIMEOUT = env_int("REDIS_CONNECT_TIMEOUT_MS", 50, minimum=1) / 1000
REDIS_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0,
                                  "socket_connect_timeout": REDIS_CONNECT_TIMEOUT}
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis down must not hold up a request: publishing after commit tries the connection once, with a
    # short connect timeout, and gives up (the row waits in the outbox; outbox_sweep publishes it later).
    # Workers reconnect on their own (broker_connection_retry), whatever these say.
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
else:
    for _sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # kombu keeps its exchange tables in ./control unless told otherwise
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task ends (hard limit) well before Redis hands its unacknowledged message to another worker (the
# visibility timeout); an outbox row claimed by a worker is taken over only once that worker must be dead
# (OUTBOX_CLAIM_TIMEOUT > hard limit); a retry waits at most half the visibility timeout.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180, minimum=2)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
OUTBOX_CLAIM_TIMEOUT = env_int("OUTBOX_CLAIM_TIMEOUT", 600, minimum=1)
OUTBOX_RETRY_BACKOFF = env_int("OUTBOX_RETRY_BACKOFF", 30, minimum=1)
OUTBOX_RETRY_BACKOFF_MAX = env_int("OUTBOX_RETRY_BACKOFF_MAX", 900, minimum=1)
# Personal data (docs/privacy.md): a sent or failed mail's text is removed after this many days (who, what
# and when stay); the retention task pseudonymises at most this many closed cases per run.
OUTBOX_BODY_RETENTION_DAYS = env_int("OUTBOX_BODY_RETENTION_DAYS", 90, minimum=1)
PRIVACY_RETENTION_BATCH = env_int("PRIVACY_RETENTION_BATCH", 50, minimum=1)
# Who is responsible for the personal data (personuppgiftsansvarig), shown on "My data" and in the export.
PRIVACY_CONTROLLER = env_str("PRIVACY_CONTROLLER", "")
if not (CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < OUTBOX_CLAIM_TIMEOUT
        and 2 * max(CELERY_TASK_TIME_LIMIT, OUTBOX_RETRY_BACKOFF_MAX)
        <= CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)):
    raise ImproperlyConfigured("Celery limits: need CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < "
                               "OUTBOX_CLAIM_TIMEOUT, and the time limit and OUTBOX_RETRY_BACKOFF_MAX at most half "
                               "the broker's visibility timeout.")
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Run exactly one beat process (`celery -A config beat`): a second one would start every job twice.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 60.0},
    "reminders": {"task": "notifications.tasks.reminders_send", "schedule": 3600.0},
    "digest": {"task": "notifications.tasks.digest_send", "schedule": 3600.0},
    "attachments-sweep": {"task": "grants.tasks.attachments_sweep", "schedule": 3600.0},
    "stage-counts-fold": {"task": "grants.tasks.stage_counts_fold", "schedule": 600.0},
}
# Indicator mails (grants/indicators/mail.py): daily at 07:00; each mail goes at most once per period.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE |= {
    "indicators-monthly-status": {"task": "grants.tasks.indicators_monthly_status", "schedule": crontab(minute=0, hour=7)},
    "indicators-yearly-report": {"task": "grants.tasks.indicators_yearly_report", "schedule": crontab(minute=5, hour=7)},
    "indicators-behind-warning": {"task": "grants.tasks.indicators_behind_warning", "schedule": crontab(minute=10, hour=7)},
}
# Personal data (docs/privacy.md): nightly, the outbox texts past their days and the cases past retention.
CELERY_BEAT_SCHEDULE |= {
    "outbox-bodies-purge": {"task": "notifications.tasks.outbox_bodies_purge", "schedule": crontab(minute=30, hour=2)},
    "privacy-retention": {"task": "grants.tasks.privacy_retention", "schedule": crontab(minute=45, hour=2)},
    "sessions-clear": {"task": "grants.tasks.sessions_clear", "schedule": crontab(minute=15, hour=3)},
}
# The stored indicator summaries (grants/indicators/summaries.py): pruned, and what the dashboard reads first
# computed again where a record changed.
CELERY_BEAT_SCHEDULE |= {
    "indicators-summaries": {"task": "grants.tasks.indicators_summaries", "schedule": 60.0},
}

# The public catalogue's map (catalogue/geo.py): the county (län) code whose municipalities are drawn,
# "08" Kalmar län by default; "SE" draws all of Sweden.
CATALOGUE_MAP_REGION = env_str("CATALOGUE_MAP_REGION", "08")
# Open data (360Giving, docs/opendata.md): the publisher's registered 360Giving prefix for grant identifiers
# and the funder's org-id identifier and name.
OPENDATA_GRANT_PREFIX = env_str("OPENDATA_GRANT_PREFIX", "360G-potten")
OPENDATA_FUNDER_ID = env_str("OPENDATA_FUNDER_ID", "360G-potten")
OPENDATA_FUNDER_NAME = env_str("OPENDATA_FUNDER_NAME", "Potten")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
}

# Cache (allauth's rate limits and used TOTP codes live here): Redis when configured, so every web process
# shares it, falling back to a database table while Redis is down; the database table without Redis.
from config.cache import caches_setting  # noqa: E402

CACHES = caches_setting(REDIS_URL, key_prefix=env_str("CACHE_KEY_PREFIX", "potten"))

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Unit tests run tasks inline; tests/test_celery_worker.py proves delivery on a real worker.
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Only the test suite trusts sessions the test client makes in-process (force_login); see accounts/mfa.py.
MFA_TRUST_IN_PROCESS_LOGINS = TESTING
