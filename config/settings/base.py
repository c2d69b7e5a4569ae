"""Settings shared by every environment; everything that differs comes from the environment."""
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "axes",
    "csp",
    "accounts",
    "integrations",
    "production",
    "customers",
    "board",
    "summaries",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.CurrentOrganisationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% partialdef %} everywhere without {% load partials %} (django-template-partials).
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.organisation",
            ],
        },
    },
    {
        # The board's cards only (<app>/jinja2/, through board.templatetags.board_cards): a full board draws
        # ~120 of them, which the Django template language renders ~5x slower (issue 15). Autoescaped.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "board.jinja_env.environment", "autoescape": True},
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'seamline.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes a page of orders.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("SEAMLINE_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Sessions and CSRF: HttpOnly, SameSite; production adds Secure.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Product images only from the hosts Uphance serves them from: any other host would learn who
# views the board and when (production.images checks every URL; img-src lists the same origins).
# Entries: a host (https), "*.domain" (its subdomains, https) or an origin "http://host:port".
from production.images import image_origins  # noqa: E402

UPHANCE_IMAGE_HOSTS = ["uphance.com", "*.uphance.com"]
SEAMLINE_IMAGE_HOSTS = image_origins(env.list("SEAMLINE_IMAGE_HOSTS", default=UPHANCE_IMAGE_HOSTS))

# Content Security Policy (django-csp): no inline scripts anywhere; stage colours are the only
# inline styles (validated #rgb/#rrggbb values in style attributes).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:", *SEAMLINE_IMAGE_HOSTS],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): lock a username+IP after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind reverse proxies every request comes from the proxy: the client is read from X-Forwarded-For,
# trusting only the entries appended by this many proxies (0: no proxy, REMOTE_ADDR is the client).
SEAMLINE_TRUSTED_PROXY_COUNT = env.int("SEAMLINE_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip_address"

# Encryption of API tokens at rest: comma-separated Fernet keys, newest first (rotation).
SEAMLINE_ENCRYPTION_KEYS = env.list("SEAMLINE_ENCRYPTION_KEYS", default=[])

# Uphance.
UPHANCE_API_URL = env("UPHANCE_API_URL", default="https://api.uphance.com")
UPHANCE_MAX_REQUESTS_PER_SECOND = env.float("UPHANCE_MAX_REQUESTS_PER_SECOND", default=5.0)
UPHANCE_TIMEOUT_SECONDS = env.float("UPHANCE_TIMEOUT_SECONDS", default=30.0)
# Webhooks: each organisation has its own secret URL (UphanceConnection.webhook_secret).

# The sync engine's registry (production.sync.engine): each kind of SyncRun and the pass that runs it.
# Config is the one place that names every app: production's sync knows no customers code.
SEAMLINE_SYNC_PASSES = {
    "production_full": "production.sync.services.production_full",
    "production_new": "production.sync.services.production_new",
    "production_open": "production.sync.services.production_open",
    "production_stages": "production.sync.services.production_stages",
    "seasons": "production.sync.services.seasons_pass",
    "customers": "customers.services.sync.customers_pass",
    "sales_orders_full": "customers.services.sync.sales_orders_full",
    "sales_orders_new": "customers.services.sync.sales_orders_new",
    "sales_orders_open": "customers.services.sync.sales_orders_open",
    "shipup_push": "customers.shipup.services.shipup_push_pass",
}

# Shipup: off until its key is set.
SHIPUP_API_URL = env("SHIPUP_API_URL", default="https://api.shipup.co")
SHIPUP_API_KEY = env("SHIPUP_API_KEY", default="")

# Celery. The embedded default is kombu's filesystem transport: no server to run.
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    # Every process (web enqueuing, worker, beat, eager tests) needs the folders to exist.
    for _folder in ("queue", "processed", "results", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by the web processes and the worker (which warms the board after a sync): no server needed.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

# E-mail: the local outbox on the embedded default (see /outbox/), SMTP from EMAIL_URL otherwise.
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "summaries.mail.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Seamline <seamline@localhost>")
SEAMLINE_BASE_URL = env("SEAMLINE_BASE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # The secret of a webhook URL never reaches a log line (django.request names the path of errors).
    "filters": {"webhook_secret": {"()": "production.sync.logfilter.WebhookSecretFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["webhook_secret"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "django.request": {"filters": ["webhook_secret"]},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
