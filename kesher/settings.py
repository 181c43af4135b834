"""Kesher settings: one module, configured by environment variables.

Defaults give a working single-office install on SQLite under ``var/``; set ``DATABASE_URL``
for PostgreSQL. Production must set ``SECRET_KEY`` and ``DEBUG=0``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KESHER_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A per-install key kept under var/, so a development install works with no setup and
    # sessions survive restarts; production sets SECRET_KEY explicitly.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "bootstrap",
    "django_tasks",
    "django_tasks_db",
    "kesher.platform",
    "kesher.org",
    "kesher.customers",
    "kesher.imports",
    "kesher.activities",
    "kesher.dedupe",
    "kesher.operations",
    "kesher.practice",
    "kesher.approvals",
    "kesher.integrations",
    "kesher.automation",
    "kesher.sales",
    "kesher.service",
    "kesher.catalogue",
    "kesher.reports",
    "kesher.marketing",
    "kesher.projects",
    "kesher.objects",
    "kesher.numbering",
    "kesher.quotes",
    "kesher.billing",
    "kesher.stock",
    "kesher.purchasing",
    "kesher.collab",
    "kesher.privacy",
    "kesher.telephony",
    "kesher.calsync",
    "kesher.portal",
    "kesher.rollout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kesher.platform.headers.SecurityHeadersMiddleware",
    "kesher.telephony.middleware.StreamSourceMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kesher.org.middleware.UserPreferencesMiddleware",
    "kesher.platform.middleware.RequestMemoMiddleware",
    "kesher.platform.middleware.BadInputMiddleware",
    "kesher.privacy.accesslog.AccessLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kesher.org.middleware.SignInPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# The access log of who read, searched, exported or changed personal data (issue 25, the Data
# Security Regulations 2017); off only to measure what it costs (bench/privacy_access_log.py).
KESHER_ACCESS_LOG = env_bool("KESHER_ACCESS_LOG", True)
# A request's entries wait in the process's memory and are written by a thread of their own at
# most this many seconds later, many requests' entries in one INSERT (sooner when
# KESHER_ACCESS_LOG_BATCH_ROWS wait; all at the process's exit). 0 writes them at the request's
# end, in its thread. Decision 0115.
KESHER_ACCESS_LOG_BATCH_SECONDS = float(os.environ.get("KESHER_ACCESS_LOG_BATCH_SECONDS", "1"))
KESHER_ACCESS_LOG_BATCH_ROWS = int(os.environ.get("KESHER_ACCESS_LOG_BATCH_ROWS", "2000"))

ROOT_URLCONF = "kesher.urls"
WSGI_APPLICATION = "kesher.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kesher" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "kesher.platform.ui.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "kesher.sqlite3"
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config(conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE transactions
                # and a busy timeout make concurrent writers wait instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA mmap_size=268435456;"
                    "PRAGMA cache_size=-65536;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "kesher.org.backends.ActiveUserModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "kesher.org.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "kesher.org.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # Login throttling (REQ OR-5): failed attempts per IP and per account.
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Throttling counts per client address: behind a reverse proxy (or a load balancer) set how many
# proxies append to X-Forwarded-For, or every user shares the proxy's address and its limit.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Kesher mails only its own users: a reset asked for an unknown address sends nothing.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kesher] "
ACCOUNT_FORMS = {"login": "kesher.org.auth_forms.LoginForm"}
# The Django admin is off unless an operator turns it on; its sign-in is then Kesher's own, with
# the same second factor and throttling (REQ OR-5).
KESHER_DJANGO_ADMIN = env_bool("KESHER_DJANGO_ADMIN", False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_FORMS = {"authenticate": "kesher.org.auth_forms.MFAAuthenticateForm"}
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Kesher"
# Security keys need HTTPS; a development server on http://localhost may still register them.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Google / Microsoft / OpenID Connect sign-in (REQ OR-5). The providers' client ids and secrets
# are entered by an administrator on Kesher's "Sign-in providers" screen (kesher/org/sso.py) and
# stored as allauth SocialApp rows; a provider without a row shows no button.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting a sign-in takes a POST (CSRF-protected)
SOCIALACCOUNT_STORE_TOKENS = False  # Kesher signs people in; it keeps no provider tokens
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_PROVIDERS = {
    "google": {"OAUTH_PKCE_ENABLED": True},
    "microsoft": {"OAUTH_PKCE_ENABLED": True},
    "openid_connect": {"OAUTH_PKCE_ENABLED": True},
}

SESSION_COOKIE_AGE = int(
    os.environ.get("SESSION_COOKIE_AGE", str(int(timedelta(hours=10).total_seconds())))
)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and env_bool("HTTPS", False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# No inline script anywhere (issue 24 item 8): scripts, fonts and images from Kesher itself;
# style attributes stay allowed (Bootstrap's utilities and htmx's indicator set them).
KESHER_CONTENT_SECURITY_POLICY = os.environ.get(
    "KESHER_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
KESHER_PERMISSIONS_POLICY = os.environ.get(
    "KESHER_PERMISSIONS_POLICY",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), interest-cohort=()",
)
# The API's schema and its docs page need a sign-in unless the operator publishes them.
KESHER_PUBLISH_API_SCHEMA = env_bool("KESHER_PUBLISH_API_SCHEMA", False)
if env_bool("HTTPS", False):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    # Subdomains and the browsers' preload list bind more than this site: only when asked.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Cache -------------------------------------------------------------------------------------
# allauth's sign-in throttling (ACCOUNT_RATE_LIMITS), TOTP replay protection and the API's
# throttles live in the default cache, which every process must share (REQ OR-5: 4 workers must
# not allow 4x the attempts): a table of the database by default (`createcachetable`, run after
# every `migrate`), Redis when REDIS_URL is set, or any backend named by CACHE_BACKEND.
REDIS_URL = os.environ.get("REDIS_URL", "")
if os.environ.get("CACHE_BACKEND"):
    _cache = {
        "BACKEND": os.environ["CACHE_BACKEND"],
        "LOCATION": os.environ.get("CACHE_LOCATION", "kesher"),
    }
elif REDIS_URL:
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
else:
    _cache = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kesher_cache",
        # Throttle counters expire within hours; every write counts the table's rows, so it is
        # culled (expired entries first) beyond this many.
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
# The API's rate counts (kesher/platform/api/throttling.py): every API call reads and writes
# them, which the database cache would make several queries a call; they are shared through
# Redis when it is configured, and otherwise counted per process (an API rate is a guard against
# runaway integrations, not a security limit: sign-in throttling stays in the default cache).
_throttle_cache = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
)
CACHES = {"default": _cache, "throttle": _throttle_cache}

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "sent-email"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kesher <kesher@localhost>")
# Support mailboxes polled over IMAP: the server's certificate is always verified, against the
# system's authorities and, for a company's own mail server, this private authority's PEM file.
KESHER_IMAP_CA_FILE = os.environ.get("KESHER_IMAP_CA_FILE", "")

# --- Localization ---------------------------------------------------------------------------------
LANGUAGE_CODE = "he"
LANGUAGES = [("he", "עברית"), ("en", "English")]
LANGUAGES_BIDI = ["he"]
LOCALE_PATHS = [BASE_DIR / "kesher" / "locale"]
TIME_ZONE = "Asia/Jerusalem"
USE_I18N = True
USE_TZ = True
FIRST_DAY_OF_WEEK = 0
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, opted into now
KESHER_DEFAULT_PHONE_REGION = os.environ.get("KESHER_DEFAULT_PHONE_REGION", "IL")

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start while it is missing
STATICFILES_DIRS: list = [BASE_DIR / "kesher" / "static"]
# Apache ECharts, installed from the npm registry by ./bin/kesher (``npm ci``, package-lock.json;
# decision 0071) and served as static/vendor/echarts/echarts.min.js. Without it (npm missing)
# reports show their tables only. Only the files named here are served (VendorFileFinder).
KESHER_VENDOR_FILES = {
    "vendor/echarts/echarts.min.js": BASE_DIR / "node_modules/echarts/dist/echarts.min.js",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kesher.platform.ui.vendor.VendorFileFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
KESHER_MAX_ATTACHMENT_BYTES = int(
    os.environ.get("KESHER_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Background work ------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KESHER_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
KESHER_TICK_SECONDS = int(os.environ.get("KESHER_TICK_SECONDS", "20"))
# A worker renews its lease every third of this; one silent this long is dead (issue 24 item 6).
KESHER_WORKER_LEASE_SECONDS = int(os.environ.get("KESHER_WORKER_LEASE_SECONDS", "20"))
# The address people open Kesher at, for links in emails the worker sends (reminders, digests).
KESHER_BASE_URL = os.environ.get("KESHER_BASE_URL", "http://127.0.0.1:8000")
# Calendar sync (decision 0110): each connected calendar is synced at least this often, and soon
# after a meeting changes; its password is encrypted with this Fernet key (else one derived from
# SECRET_KEY).
KESHER_CALSYNC_MINUTES = int(os.environ.get("KESHER_CALSYNC_MINUTES", "5"))
KESHER_CALSYNC_KEY = os.environ.get("KESHER_CALSYNC_KEY", "")

# --- Automation (issue 5) -------------------------------------------------------------------------
# A chain of rules (one rule's change starting another) stops at this depth, with the reason logged.
KESHER_AUTOMATION_MAX_DEPTH = int(os.environ.get("KESHER_AUTOMATION_MAX_DEPTH", "5"))
KESHER_AUTOMATION_MAX_ATTEMPTS = int(os.environ.get("KESHER_AUTOMATION_MAX_ATTEMPTS", "5"))

# --- Import, duplicates and backups (issue 6) -----------------------------------------------------
KESHER_IMPORT_MAX_BYTES = int(os.environ.get("KESHER_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
KESHER_IMPORT_BATCH_SIZE = int(os.environ.get("KESHER_IMPORT_BATCH_SIZE", "500"))
# On SQLite an import's bulk path commits every this many rows (kesher/imports/services.py).
KESHER_IMPORT_SQLITE_TRANSACTION_ROWS = int(
    os.environ.get("KESHER_IMPORT_SQLITE_TRANSACTION_ROWS", "10000")
)
KESHER_IMPORT_UNDO_DAYS = int(os.environ.get("KESHER_IMPORT_UNDO_DAYS", "7"))
# The total unpacked size of a zip of attachments uploaded with an import (decision 0037).
KESHER_IMPORT_ZIP_MAX_BYTES = int(
    os.environ.get("KESHER_IMPORT_ZIP_MAX_BYTES", str(500 * 1024 * 1024))
)
# rapidfuzz token-sort ratio (0-100) from which two names count as the same (decision 0022).
KESHER_DEDUPE_NAME_THRESHOLD = int(os.environ.get("KESHER_DEDUPE_NAME_THRESHOLD", "90"))
KESHER_DEDUPE_INLINE_LIMIT = int(os.environ.get("KESHER_DEDUPE_INLINE_LIMIT", "5000"))
KESHER_BACKUP_DIR = Path(os.environ.get("KESHER_BACKUP_DIR", VAR_DIR / "backups"))
KESHER_BACKUP_EVERY_HOURS = float(os.environ.get("KESHER_BACKUP_EVERY_HOURS", "0"))  # 0: off
KESHER_BACKUP_KEEP = int(os.environ.get("KESHER_BACKUP_KEEP", "14"))
# Days after which a dated backup is deleted, whatever their number (0: only the count above);
# what an erased person's data stays in the backups made before (issue 25; decision 0104).
KESHER_BACKUP_KEEP_DAYS = int(os.environ.get("KESHER_BACKUP_KEEP_DAYS", "0"))
# Full exports of all data (REQ IM-5): where the worker writes the zips.
KESHER_EXPORT_DIR = Path(os.environ.get("KESHER_EXPORT_DIR", VAR_DIR / "exports"))

# --- Practice environment (REQ IM-6, IMPL-2; decision 0029) -------------------------------------
# A second process started with KESHER_PRACTICE=1 (`manage.py serve --practice`) serves the
# practice copy from its own database; it has no connection to the live one, and sends no email.
KESHER_PRACTICE = env_bool("KESHER_PRACTICE", False)
KESHER_PRACTICE_DIR = Path(os.environ.get("KESHER_PRACTICE_DIR", VAR_DIR / "practice"))
KESHER_PRACTICE_URL = os.environ.get("KESHER_PRACTICE_URL", "http://127.0.0.1:8001/")
if KESHER_PRACTICE:
    from kesher.practice.names import practice_database

    DATABASES = {
        "default": practice_database(
            DATABASES["default"], KESHER_PRACTICE_DIR / "kesher-practice.sqlite3"
        )
    }
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = KESHER_PRACTICE_DIR / "outbox"
    MEDIA_ROOT = KESHER_PRACTICE_DIR / "media"
    KESHER_BACKUP_EVERY_HOURS = 0
    KESHER_BACKUP_DIR = KESHER_PRACTICE_DIR / "backups"
    KESHER_EXPORT_DIR = KESHER_PRACTICE_DIR / "exports"
    # Cookies do not keep to a port: the two environments' sign-ins must not overwrite each other.
    SESSION_COOKIE_NAME = "kesher_practice_sessionid"
    CSRF_COOKIE_NAME = "kesher_practice_csrftoken"

# --- Outgoing messages and webhooks (issue 5; REQ IN-3; decisions 0033, 0034) -----------------
KESHER_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("KESHER_MESSAGE_MAX_ATTEMPTS", "5"))
KESHER_MESSAGE_BACKOFF_SECONDS = float(os.environ.get("KESHER_MESSAGE_BACKOFF_SECONDS", "60"))
# A row claimed this long ago and still "sending" belongs to a worker that died mid-run.
KESHER_MESSAGE_LEASE_SECONDS = int(os.environ.get("KESHER_MESSAGE_LEASE_SECONDS", "600"))
# A web form sent sooner than this after it was served is a bot's (decision 0105).
KESHER_LEAD_FORM_MIN_SECONDS = int(os.environ.get("KESHER_LEAD_FORM_MIN_SECONDS", "3"))
# Ad platforms' lead-form webhooks (decision 0114): Meta's app secret signs its notifications
# (X-Hub-Signature-256), its verify token answers the subscription check, its page access token
# fetches a lead's fields from the Graph API through the client class; Google Ads sends the key
# in the body (google_key).
KESHER_META_APP_SECRET = os.environ.get("KESHER_META_APP_SECRET", "")
KESHER_META_VERIFY_TOKEN = os.environ.get("KESHER_META_VERIFY_TOKEN", "")
KESHER_META_ACCESS_TOKEN = os.environ.get("KESHER_META_ACCESS_TOKEN", "")
KESHER_META_GRAPH_URL = os.environ.get("KESHER_META_GRAPH_URL", "https://graph.facebook.com/v21.0")
KESHER_META_GRAPH_CLIENT = os.environ.get(
    "KESHER_META_GRAPH_CLIENT", "kesher.marketing.leadads.GraphClient"
)
KESHER_GOOGLE_ADS_LEAD_KEY = os.environ.get("KESHER_GOOGLE_ADS_LEAD_KEY", "")
# The mail provider signs its bounce reports with this shared secret: "sha256=" + hex HMAC-SHA256
# of the raw body in X-Kesher-Signature; without it every report is refused (decision 0120).
KESHER_BOUNCE_WEBHOOK_SECRET = os.environ.get("KESHER_BOUNCE_WEBHOOK_SECRET", "")
KESHER_SMS_BACKEND = os.environ.get(
    "KESHER_SMS_BACKEND", "kesher.integrations.gateways.LoggingBackend"
)
KESHER_SMS_HTTP_URL = os.environ.get("KESHER_SMS_HTTP_URL", "")
KESHER_SMS_HTTP_TOKEN = os.environ.get("KESHER_SMS_HTTP_TOKEN", "")
KESHER_SMS_HTTP_TOKEN_HEADER = os.environ.get("KESHER_SMS_HTTP_TOKEN_HEADER", "Authorization")
KESHER_SMS_HTTP_FORMAT = os.environ.get("KESHER_SMS_HTTP_FORMAT", "json")  # or "form"
KESHER_SMS_HTTP_TIMEOUT = float(os.environ.get("KESHER_SMS_HTTP_TIMEOUT", "10"))
# Incoming texts (decision 0094): the gateway's webhook is checked with this secret — an HMAC
# signature ("hmac") or the secret itself in a header or the URL ("secret"); without a secret
# every incoming text is refused.
KESHER_SMS_INBOUND_SECRET = os.environ.get("KESHER_SMS_INBOUND_SECRET", "")
KESHER_SMS_INBOUND_AUTH = os.environ.get("KESHER_SMS_INBOUND_AUTH", "hmac")  # or "secret"
KESHER_WEBHOOK_TIMEOUT = float(os.environ.get("KESHER_WEBHOOK_TIMEOUT", "10"))
# Addresses administrators type (webhooks, CalDAV servers, payment providers, phone systems) are
# refused when they lead to a loopback, private, link-local or reserved address (decision 0113;
# kesher/platform/outgoing.py), except the hosts or networks listed here, comma-separated
# ("pbx.office.lan,10.1.0.0/16").
KESHER_OUTGOING_ALLOW_HOSTS = [
    host.strip()
    for host in os.environ.get("KESHER_OUTGOING_ALLOW_HOSTS", "").split(",")
    if host.strip()
]
# Screen pops (decision 0080): the event stream's ASGI process listens on this port of the same
# host (``manage.py serve`` sets it); KESHER_TELEPHONY_STREAM_URL names another origin (a proxy
# routing /telephony/stream/); neither: this server streams them itself (development).
KESHER_TELEPHONY_STREAM_PORT = os.environ.get("KESHER_TELEPHONY_STREAM_PORT", "")
KESHER_TELEPHONY_STREAM_URL = os.environ.get("KESHER_TELEPHONY_STREAM_URL", "")
# On SQLite another process's pops are read from the table this often (PostgreSQL notifies).
KESHER_TELEPHONY_POLL_SECONDS = float(os.environ.get("KESHER_TELEPHONY_POLL_SECONDS", "0.025"))
KESHER_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("KESHER_WEBHOOK_MAX_ATTEMPTS", "8"))
KESHER_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("KESHER_WEBHOOK_BACKOFF_SECONDS", "30"))

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kesher.org.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kesher.platform.api.permissions.EntityPermission"],
    # JSON bodies nested too deeply are refused with 400 (kesher/platform/jsonlimits.py).
    "DEFAULT_PARSER_CLASSES": [
        "kesher.platform.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "kesher.platform.api.pagination.CappedCountPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "kesher.platform.api.ordering.EntityOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "kesher.platform.api.schema.KesherAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "kesher.platform.api.exceptions.exception_handler",
    # Per API token, per signed-in user, per anonymous address and per incoming automation
    # webhook address (kesher/platform/api/throttling.py); counted in the shared cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "kesher.platform.api.throttling.TokenRateThrottle",
        "kesher.platform.api.throttling.UserRateThrottle",
        "kesher.platform.api.throttling.AnonRateThrottle",
    ],
    # Throttles count per client address: only the proxies' own hops of X-Forwarded-For are
    # trusted, or a caller could pick a new address for each request.
    "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("KESHER_API_RATE_TOKEN", "6000/hour"),
        "user": os.environ.get("KESHER_API_RATE_USER", "6000/hour"),
        "anon": os.environ.get("KESHER_API_RATE_ANON", "120/hour"),
        "webhook": os.environ.get("KESHER_API_RATE_WEBHOOK", "1200/hour"),
        # Web-form submissions per sender's address (decision 0105).
        "lead_form": os.environ.get("KESHER_LEAD_FORM_RATE", "20/hour"),
        # Ad platforms' lead webhooks, per provider (decision 0114).
        "lead_ads": os.environ.get("KESHER_LEAD_ADS_RATE", "3600/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kesher CRM API",
    "DESCRIPTION": (
        "REST API of Kesher. Authenticate with `Authorization: Token <key>` (create a key in "
        "your profile or with `manage.py create_api_token USERNAME`). Send `Accept-Language: he` "
        "or `en` for translated messages. Updates take `If-Match: <version>` and answer 412 when "
        "the record changed meanwhile. Lists: `count` stops at 1,000 (`count_exact` says whether "
        "it did); `next` and `previous` carry a `cursor` and cost the same at any depth; "
        "`page=N` reaches the first 100,000 records and answers 400 beyond them."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The entities' endpoints, as the registry is when the schema is made.
    "PREPROCESSING_HOOKS": ["kesher.platform.api.viewsets.entity_endpoints"],
    # 400, 409 and 429 where any operation may answer them (kesher/platform/api/exceptions.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kesher.platform.api.exceptions.declare_error_responses",
    ],
    # One name for the set of record types activities link to, wherever a field offers it.
    "ENUM_NAME_OVERRIDES": {
        "LinkTypeEnum": "kesher.platform.records.links.link_choices",
        "RegisteredEntityEnum": "kesher.platform.models.entity_choices",
        "PaymentMethodEnum": "kesher.billing.models.PAYMENT_METHODS",
        # Sets whose field name other sets share: named, not suffixed with a hash.
        "MessageChannelEnum": "kesher.integrations.models.OutgoingMessage.Channel",
        "StockMoveKindEnum": "kesher.stock.models.MoveKind",
        "SubjectRequestKindEnum": "kesher.privacy.models.RequestKind",
        "SubjectRequestStatusEnum": "kesher.privacy.models.RequestStatus",
        "AlertLevelEnum": "kesher.activities.models.AlertLevel",
        "PriceRulePeriodEnum": "kesher.catalogue.models.PriceRule.Period",
        "UserLanguageEnum": "kesher.portal.models.PortalUser.Language",
        "DocumentLanguageEnum": "kesher.platform.pdf.LANGUAGES",
        "LeadAdProviderEnum": "kesher.marketing.models.LeadAdSource.Provider",
        "AdLeadStatusEnum": "kesher.marketing.models.AdLead.Status",
        "TextChannelEnum": "kesher.integrations.gateways.CHANNELS",
        "CampaignCallStatusEnum": "kesher.marketing.models.CampaignCall.Status",
        "DavSyncProblemEnum": "kesher.calsync.models.Problem",
        "MailboxProblemEnum": "kesher.service.models.Mailbox.Problem",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"kesher": {"level": os.environ.get("KESHER_LOG_LEVEL", "INFO")}},
}

KESHER_MODULE_LABEL = _("Kesher")

# The Tax Authority's invoice-approval API for allocation numbers (ISRAEL.md; decision 0076):
# the software house's OAuth2 client, the business's refresh token, the endpoints and the
# software registration number. BACKEND "practice" answers locally (never set in production).
KESHER_TAX_AUTHORITY = {
    "BACKEND": os.environ.get("KESHER_TAX_AUTHORITY_BACKEND", "http"),
    "TOKEN_URL": os.environ.get("KESHER_TAX_AUTHORITY_TOKEN_URL", ""),
    "APPROVAL_URL": os.environ.get("KESHER_TAX_AUTHORITY_APPROVAL_URL", ""),
    "CLIENT_ID": os.environ.get("KESHER_TAX_AUTHORITY_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("KESHER_TAX_AUTHORITY_CLIENT_SECRET", ""),
    "REFRESH_TOKEN": os.environ.get("KESHER_TAX_AUTHORITY_REFRESH_TOKEN", ""),
    "SOFTWARE_NUMBER": os.environ.get("KESHER_TAX_AUTHORITY_SOFTWARE_NUMBER", ""),
    "TIMEOUT": float(os.environ.get("KESHER_TAX_AUTHORITY_TIMEOUT", "15")),
}
KESHER_ALLOCATION_BACKOFF_SECONDS = float(os.environ.get("KESHER_ALLOCATION_BACKOFF_SECONDS", "30"))
KESHER_ALLOCATION_LEASE_SECONDS = float(os.environ.get("KESHER_ALLOCATION_LEASE_SECONDS", "120"))
