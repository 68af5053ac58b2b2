"""Settings, all from environment variables with production defaults (DEBUG off).

Production: set DCC_SECRET_KEY, DCC_ALLOWED_HOSTS, DCC_SITE_URL, DATABASE_URL (postgres://…) and serve over HTTPS;
`dcc check --deploy` then reports nothing. Developer mode (Django's DEBUG pages) is an explicit DCC_DEBUG=1.
`make run` (scripts/run.sh) serves the demo region with DEBUG off, DCC_DEMO_MODE=1, a key generated in
var/secret_key, and plain-http cookies (DCC_SECURE_SSL_REDIRECT=0, DCC_SECURE_COOKIES=0) since it listens on
127.0.0.1 without TLS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DCC_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DCC_DEBUG", False)
# The development key is only accepted while DEBUG is on (see checks in oncodcc.core.checks).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-oncodcc-0000000000000000000000"  # noqa: S105


def secret_key() -> str:
    """DCC_SECRET_KEY; else the key file (DCC_SECRET_KEY_FILE, by default var/secret_key, which `make run` writes
    on its first start); else, in developer mode only, the development key. Never a known key with DEBUG off."""
    if os.environ.get("DCC_SECRET_KEY"):
        return os.environ["DCC_SECRET_KEY"]
    path = Path(os.environ.get("DCC_SECRET_KEY_FILE") or VAR_DIR / "secret_key")
    if path.is_file() and (key := path.read_text(encoding="utf-8").strip()):
        return key
    if DEBUG:
        return DEV_SECRET_KEY
    raise ImproperlyConfigured(
        f"DCC_SECRET_KEY n'est pas défini et le fichier {path} n'existe pas : définissez DCC_SECRET_KEY (ou "
        "DCC_SECRET_KEY_FILE), ou DCC_DEBUG=1 en développement. `make run` génère var/secret_key."
    )


SECRET_KEY = secret_key()
ALLOWED_HOSTS = env_list("DCC_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DCC_CSRF_TRUSTED_ORIGINS", "")

# Demo mode: the synthetic region and the INS test OID are accepted. Never on in production.
DEMO_MODE = env_bool("DCC_DEMO_MODE", DEBUG)

INSTALLED_APPS = [
    "oncodcc.core",
    "oncodcc.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # the API docs page with its bundled Swagger assets (no CDN: strict CSP)
    "csp",
    "oncodcc.core.third_party_apps.AxesConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "oncodcc.core.third_party_apps.TaskQueueConfig",
    "oncodcc.terminology",
    "oncodcc.directory",
    "oncodcc.patients",
    "oncodcc.rcp",
    "oncodcc.questionnaires",
    "oncodcc.careplans",
    "oncodcc.trials",
    "oncodcc.imaging",
    "oncodcc.documents",
    "oncodcc.audit",
    "oncodcc.interop.hl7v2",
    "oncodcc.interop.smart",
    "oncodcc.interop.launch",
    "oncodcc.diffusion",
    "oncodcc.demo",
    "oncodcc.infocentre",
    "oncodcc.notifications",
    "oncodcc.front",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "oncodcc.audit.middleware.RequestContextMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
    # After the login requirement: a password-only session reaches the second-factor pages and nothing else.
    "oncodcc.accounts.middleware.SecondFactorMiddleware",
    "oncodcc.core.middleware.MethodNotAllowedPageMiddleware",  # innermost: its page gets the headers above
]

ROOT_URLCONF = "oncodcc.urls"
WSGI_APPLICATION = "oncodcc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "oncodcc" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oncodcc.core.context_processors.oncodcc",
                "oncodcc.accounts.context_processors.second_factor",
            ],
        },
    },
]

# --- Database: embedded SQLite by default, PostgreSQL with DATABASE_URL=postgres://… ---
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'oncodcc.sqlite3'}"),
        conn_max_age=int(os.environ.get("DCC_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let gunicorn workers and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Per connection, at a region's size (docs/regional-scale.md): PostgreSQL's JIT compiler adds seconds to the
    # home page's queries and saves nothing on short OLTP ones; sorts and hashes of a few thousand rows (a common
    # surname, a board's registrations) should stay in memory rather than spill to disk at the 4 MB default.
    DB_WORK_MEM = os.environ.get("DCC_DB_WORK_MEM", "32MB").strip()
    if not DB_WORK_MEM.isalnum() or not DB_WORK_MEM[0].isdigit():
        raise ImproperlyConfigured(f"DCC_DB_WORK_MEM invalide ({DB_WORK_MEM!r}) : une taille comme 32MB ou 65536kB.")
    DB_JIT = "on" if env_bool("DCC_DB_JIT", False) else "off"
    pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    pg_options["options"] = f"{pg_options.get('options', '')} -c jit={DB_JIT} -c work_mem={DB_WORK_MEM}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
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
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "front:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Sessions: expire after inactivity ---
SESSION_COOKIE_AGE = int(os.environ.get("DCC_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Lockout after repeated failures (django-axes; oncodcc.accounts.lockout) ---
AXES_FAILURE_LIMIT = int(os.environ.get("DCC_LOGIN_FAILURE_LIMIT", "5"))
# Per account and address together: the address alone would lock a whole hospital (NAT) out, the account alone
# would let anyone lock anyone out. An unknown username is counted like a real one (no enumeration).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Progressive: the base cool-off doubles with each lockout of the account from the address the same day.
DCC_LOGIN_COOLOFF_BASE = timedelta(hours=float(os.environ.get("DCC_LOGIN_COOLOFF_HOURS", "0.25")))
DCC_LOGIN_COOLOFF_MAX = timedelta(hours=float(os.environ.get("DCC_LOGIN_COOLOFF_MAX_HOURS", "24")))
AXES_COOLOFF_TIME = "oncodcc.accounts.lockout.cool_off"
AXES_LOCKOUT_CALLABLE = "oncodcc.accounts.lockout.locked_out_page"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # trying again while locked does not extend the lock
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = True

# --- Security headers ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DCC_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DCC_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DCC_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DCC_BEHIND_PROXY", False) else None
# /health is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^health$"]

# A CSP without inline scripts or styles: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- i18n: the UI is in French; meetings are in Europe/Paris whatever the server's zone ---
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "oncodcc" / "locale"]
TIME_ZONE = os.environ.get("DCC_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "oncodcc" / "static"]
STATIC_ROOT = Path(os.environ.get("DCC_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not env_bool("DCC_PLAIN_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Background tasks: durable queue in the same database (django-tasks + django-tasks-db) ---
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DCC_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Logging: never log patient identities; the audit trail is in the database ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DCC_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd (the demo MSSanté relay double): one line per SMTP step
    },
}

# --- Audit trail: keyed hash chain and checkpoints outside the database (docs/adr/0006) ---
# The HMAC key of the chain. Required in production (`dcc check --deploy`: oncodcc.E003); in debug or demo mode
# without it, a random key is generated once into var/audit-key (mode 0600).
DCC_AUDIT_KEY = os.environ.get("DCC_AUDIT_KEY", "")
DCC_AUDIT_KEY_FROM_ENV = bool(DCC_AUDIT_KEY)
if not DCC_AUDIT_KEY and (DEBUG or DEMO_MODE):
    from oncodcc.audit.keys import read_or_create as _read_or_create_audit_key

    DCC_AUDIT_KEY = _read_or_create_audit_key(VAR_DIR / "audit-key")
# Keys replaced by a rotation, still needed to verify the events they signed.
DCC_AUDIT_PREVIOUS_KEYS = env_list("DCC_AUDIT_PREVIOUS_KEYS", "")
# Signed chain heads written by `dcc audit checkpoint`: keep (or copy) this file away from the database.
DCC_AUDIT_CHECKPOINT_FILE = Path(os.environ.get("DCC_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit-checkpoints.jsonl"))

# The key of the patients' pseudonyms in the epidemiologist's search results and exports (infocentre); empty:
# derived from the secret key. Changing it changes every pseudonym.
DCC_PSEUDONYM_KEY = os.environ.get("DCC_PSEUDONYM_KEY", "")

# --- Domain settings ---
DCC_REGION_NAME = os.environ.get("DCC_REGION_NAME", "Région de démonstration")
# How long a break-the-glass access stays open once justified.
DCC_BREAK_GLASS_HOURS = int(os.environ.get("DCC_BREAK_GLASS_HOURS", "12"))
# Imaging: how long a PACS's answer (the studies of one patient in one source) is reused before asking again.
DCC_IMAGING_CACHE_SECONDS = int(os.environ.get("DCC_IMAGING_CACHE_SECONDS", "120"))

# --- Interoperability in (issue 5) ---
# HL7 v2 MLLP listener (`dcc mllp`): port and bind address; the largest frame accepted (a CDA with its PDF inside).
MLLP_PORT = int(os.environ.get("MLLP_PORT", "2575"))
MLLP_HOST = os.environ.get("MLLP_HOST", "0.0.0.0")  # noqa: S104 - hospitals connect from their network
MLLP_MAX_FRAME_BYTES = int(os.environ.get("MLLP_MAX_FRAME_MB", "30")) * 1024 * 1024
# MLLP over TLS (docs/mllp.md): the server's certificate and key (PEM) and the authority whose client certificates
# are accepted (a client certificate is required). All three set: TLS; none: plain MLLP, which listens only on the
# loopback interface unless MLLP_ALLOW_PLAIN=1 (for a private network only).
MLLP_TLS_CERT = os.environ.get("MLLP_TLS_CERT", "")
MLLP_TLS_KEY = os.environ.get("MLLP_TLS_KEY", "")
MLLP_TLS_CLIENT_CA = os.environ.get("MLLP_TLS_CLIENT_CA", "")
MLLP_ALLOW_PLAIN = env_bool("MLLP_ALLOW_PLAIN", False)
# A received CDA (HL7 OBX-5 once decoded, FHIR Binary) larger than this is refused with a clear reason.
INBOUND_DOCUMENT_MAX_BYTES = int(os.environ.get("DCC_INBOUND_DOCUMENT_MAX_MB", "20")) * 1024 * 1024
# FHIR API bearer tokens (OAuth2 client credentials, SMART backend services) live this long.
SMART_TOKEN_SECONDS = int(os.environ.get("DCC_SMART_TOKEN_SECONDS", "300"))
# Failed authentications of one client id from one address tolerated per window at the token endpoint, then 429
# with Retry-After until the window ends (counted in the database: the same for every gunicorn worker).
SMART_TOKEN_FAILURE_LIMIT = int(os.environ.get("DCC_TOKEN_FAILURE_LIMIT", "10"))
SMART_TOKEN_FAILURE_WINDOW_SECONDS = int(os.environ.get("DCC_TOKEN_FAILURE_WINDOW_SECONDS", "300"))
# Unauthenticated refusals (bad launch tokens, failed API client authentications) are audited as one event per
# kind, address and window, with their count (oncodcc.core.refusals).
DCC_REFUSAL_AUDIT_WINDOW_SECONDS = int(os.environ.get("DCC_REFUSAL_AUDIT_WINDOW_SECONDS", "60"))
# Contextual launch tokens: at most this old (iat/exp window), each jti used once.
LAUNCH_TOKEN_MAX_SECONDS = 300
# The `aud` claim hospitals put in launch tokens (docs/launch.md).
DCC_LAUNCH_AUDIENCE = os.environ.get("DCC_LAUNCH_AUDIENCE", "oncodcc")

# --- Diffusion out (issue 11): MSSanté and DMP channels (docs/diffusion-mssante-dmp.md) ---
# The region's MSSanté operator relay: host, port, account, transport security (none | starttls | tls), timeout;
# the sender address when a 3C has none of its own.
DCC_MSSANTE_SMTP_HOST = os.environ.get("DCC_MSSANTE_SMTP_HOST", "")
DCC_MSSANTE_SMTP_PORT = int(os.environ.get("DCC_MSSANTE_SMTP_PORT", "587"))
DCC_MSSANTE_SMTP_USER = os.environ.get("DCC_MSSANTE_SMTP_USER", "")
DCC_MSSANTE_SMTP_PASSWORD = os.environ.get("DCC_MSSANTE_SMTP_PASSWORD", "")
DCC_MSSANTE_SMTP_TLS = os.environ.get("DCC_MSSANTE_SMTP_TLS", "starttls")
DCC_MSSANTE_SMTP_CA = os.environ.get("DCC_MSSANTE_SMTP_CA", "")  # extra authority (PEM) trusted for the relay
DCC_MSSANTE_SMTP_TIMEOUT = float(os.environ.get("DCC_MSSANTE_SMTP_TIMEOUT", "30"))
DCC_MSSANTE_FROM = os.environ.get("DCC_MSSANTE_FROM", "")
# The DMP (XDS.b Provide and Register Document Set-b): endpoint, client certificate and key (PEM), the authority of
# the server (PEM; system store when empty), timeout in seconds.
DCC_DMP_URL = os.environ.get("DCC_DMP_URL", "")
# The registry endpoint of XDS Metadata Update (ITI-57: unpublishing a withdrawn document); empty: DCC_DMP_URL.
DCC_DMP_REGISTRY_URL = os.environ.get("DCC_DMP_REGISTRY_URL", "")
DCC_DMP_CERT = os.environ.get("DCC_DMP_CERT", "")
DCC_DMP_KEY = os.environ.get("DCC_DMP_KEY", "")
DCC_DMP_CA = os.environ.get("DCC_DMP_CA", "")
DCC_DMP_TIMEOUT = float(os.environ.get("DCC_DMP_TIMEOUT", "30"))
# XDS metadata: the OID of this system (XDSSubmissionSet.sourceId; a 2.25 OID derived from a fixed seed when
# empty) and the healthcareFacilityTypeCode used when the CDA header has no healthCareFacility/code (TRE_R02).
DCC_XDS_SOURCE_OID = os.environ.get("DCC_XDS_SOURCE_OID", "")
DCC_XDS_HEALTHCARE_FACILITY_TYPE = os.environ.get("DCC_XDS_HEALTHCARE_FACILITY_TYPE", "SA01")

# Diffusion out (docs/diffusion.md): a delivery that fails for a transient reason (receiver down, timeout, no ACK)
# is tried again after base × 2^(n-1) seconds (at most the cap), and abandoned (dead) after the maximum attempts.
DCC_DIFFUSION_MAX_ATTEMPTS = int(os.environ.get("DCC_DIFFUSION_MAX_ATTEMPTS", "8"))
DCC_DIFFUSION_RETRY_BASE_SECONDS = int(os.environ.get("DCC_DIFFUSION_RETRY_BASE_SECONDS", "60"))
DCC_DIFFUSION_RETRY_CAP_SECONDS = int(os.environ.get("DCC_DIFFUSION_RETRY_CAP_SECONDS", str(6 * 3600)))
# A delivery left "en cours" this long (its worker was killed) is taken back and tried again.
DCC_DIFFUSION_SENDING_TIMEOUT_SECONDS = int(os.environ.get("DCC_DIFFUSION_SENDING_TIMEOUT_SECONDS", "300"))
# MLLP to the hospitals' DPI: connection and ACK wait (seconds), and the sending application (MSH-3).
DCC_DPI_TIMEOUT_SECONDS = float(os.environ.get("DCC_DPI_TIMEOUT_SECONDS", "30"))
DCC_DPI_APPLICATION = os.environ.get("DCC_DPI_APPLICATION", "ONCODCC")
# MSH-4 of our messages (ASCII); empty: the DSRC's short name without accents (as the MSH-3 of our ACKs).
DCC_DPI_FACILITY = os.environ.get("DCC_DPI_FACILITY", "")
# Demo region: the local MLLP receiver (`dcc demo-receiver`) the demo hospitals' DPI point at.
DCC_DEMO_RECEIVER_PORT = int(os.environ.get("DCC_DEMO_RECEIVER_PORT", "2576"))
# ... and its MSSanté relay and DMP doubles (`dcc demo-receiver` starts them; `make run` points the channels there).
DCC_DEMO_SMTP_PORT = int(os.environ.get("DCC_DEMO_SMTP_PORT", "2577"))
DCC_DEMO_DMP_PORT = int(os.environ.get("DCC_DEMO_DMP_PORT", "2578"))

# --- Accounts and strong authentication (issue 10; README "Comptes et authentification") ---
# Outgoing mail of the application itself (account requests, activation and reset links, notifications): a real
# SMTP relay when DCC_EMAIL_HOST is set; otherwise, in demo or developer mode, every message is written as a file
# under var/mail/ (and its path logged), so that a visitor of the demo can open their activation link.
DCC_EMAIL_HOST = os.environ.get("DCC_EMAIL_HOST", "")
DCC_EMAIL_PORT = int(os.environ.get("DCC_EMAIL_PORT", "587"))
DCC_EMAIL_USER = os.environ.get("DCC_EMAIL_USER", "")
DCC_EMAIL_PASSWORD = os.environ.get("DCC_EMAIL_PASSWORD", "")
DCC_EMAIL_TLS = os.environ.get("DCC_EMAIL_TLS", "starttls")  # starttls | ssl | none
DCC_EMAIL_FROM = os.environ.get("DCC_EMAIL_FROM", "OncoDCC <ne-pas-repondre@oncodcc.invalid>")
DCC_EMAIL_TIMEOUT = float(os.environ.get("DCC_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = DCC_EMAIL_FROM
SERVER_EMAIL = DCC_EMAIL_FROM
if DCC_EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = DCC_EMAIL_HOST, DCC_EMAIL_PORT
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = DCC_EMAIL_USER, DCC_EMAIL_PASSWORD
    EMAIL_USE_TLS = DCC_EMAIL_TLS == "starttls"
    EMAIL_USE_SSL = DCC_EMAIL_TLS == "ssl"
    EMAIL_TIMEOUT = DCC_EMAIL_TIMEOUT
elif DEBUG or DEMO_MODE:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
else:
    # Production without a relay: the deploy check (oncodcc.core.checks) reports it; mail is not silently lost.
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = "localhost", 25

# --- Notifications (docs/notifications.md): emails of validated fiches and meeting reminders, calendar feeds ---
# The address of the application as its users reach it: the links in every email (notifications, reminders,
# account activation by `dcc accounts create`), built outside any request; deploy check oncodcc.W030.
DCC_SITE_URL = os.environ.get("DCC_SITE_URL", "http://127.0.0.1:8000")
# Reminders go this many days before a meeting; the worker looks for due reminders daily at this hour (Paris).
DCC_MEETING_REMINDER_DAYS = int(os.environ.get("DCC_MEETING_REMINDER_DAYS", "2"))
DCC_MEETING_REMINDER_HOUR = int(os.environ.get("DCC_MEETING_REMINDER_HOUR", "7"))
# A relay down or answering 4xx: retried with an exponential backoff, abandoned after this many attempts.
DCC_NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("DCC_NOTIFICATION_MAX_ATTEMPTS", "8"))
DCC_NOTIFICATION_RETRY_BASE_SECONDS = int(os.environ.get("DCC_NOTIFICATION_RETRY_BASE_SECONDS", "60"))
DCC_NOTIFICATION_RETRY_CAP_SECONDS = int(os.environ.get("DCC_NOTIFICATION_RETRY_CAP_SECONDS", str(6 * 3600)))
DCC_NOTIFICATION_SENDING_TIMEOUT_SECONDS = int(os.environ.get("DCC_NOTIFICATION_SENDING_TIMEOUT_SECONDS", "300"))

# Every human account signs in with a second factor (TOTP) or with Pro Santé Connect; turning it off is an explicit
# developer opt-out (DCC_REQUIRE_OTP=0), refused by the deploy check outside DEBUG.
DCC_REQUIRE_OTP = env_bool("DCC_REQUIRE_OTP", True)
# Wrong second-factor codes (TOTP or recovery code) tolerated for one account before it is locked: per account, not
# per address (whoever reaches the code page already has the password). The cool-off is the one of passwords
# (DCC_LOGIN_COOLOFF_HOURS, doubled with each lockout of the day up to DCC_LOGIN_COOLOFF_MAX_HOURS).
DCC_OTP_FAILURE_LIMIT = int(os.environ.get("DCC_OTP_FAILURE_LIMIT", "5"))
# django-otp: the issuer shown by authenticator apps; its own per-device exponential delay is off, since it would
# silently refuse a right code after a wrong one: the lockout above (oncodcc.accounts.otp_lockout) governs.
OTP_TOTP_ISSUER = "OncoDCC"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# Pro Santé Connect (OpenID Connect; e-CPS/CPS). Empty issuer: the button is not shown.
DCC_PSC_ISSUER = os.environ.get("DCC_PSC_ISSUER", "")
DCC_PSC_CLIENT_ID = os.environ.get("DCC_PSC_CLIENT_ID", "")
DCC_PSC_CLIENT_SECRET = os.environ.get("DCC_PSC_CLIENT_SECRET", "")
# PSC publishes its endpoints (the wallet's authorization page) at <issuer>/.well-known/wallet-openid-configuration;
# empty: the standard <issuer>/.well-known/openid-configuration.
DCC_PSC_DISCOVERY_URL = os.environ.get("DCC_PSC_DISCOVERY_URL", "")
DCC_PSC_SCOPES = os.environ.get("DCC_PSC_SCOPES", "openid scope_all")
# The level of authentication asked (acr_values) and required in the ID token's acr: eidas1 (CPS card or e-CPS).
DCC_PSC_ACR_VALUES = os.environ.get("DCC_PSC_ACR_VALUES", "eidas1")
# Account lifecycle: unused accounts are deactivated after this many days (a warning email 30 days before).
DCC_ACCOUNT_INACTIVE_DAYS = int(os.environ.get("DCC_ACCOUNT_INACTIVE_DAYS", "365"))
# Activation and password-reset links: single use, valid this long.
DCC_ACCOUNT_LINK_HOURS = int(os.environ.get("DCC_ACCOUNT_LINK_HOURS", "72"))
DCC_PASSWORD_RESET_LINK_HOURS = int(os.environ.get("DCC_PASSWORD_RESET_LINK_HOURS", "2"))
# Public account forms (request, forgotten password, RPPS look-up): submissions per address and hour.
DCC_ACCOUNT_FORMS_PER_HOUR = int(os.environ.get("DCC_ACCOUNT_FORMS_PER_HOUR", "10"))
