"""Test settings: fast hashing, eager Celery for unit tests (the stack test runs a real worker)."""
from .base import *  # noqa: F403
from .base import BASE_DIR, STATIC_ROOT, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
SEAMLINE_ENCRYPTION_KEYS = env.list(
    "SEAMLINE_ENCRYPTION_KEYS", default=["vKc9I2bL0XhJpGmY0v6pY3m0G0cQm3mJxkq8bq2Yf1c="]
)
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TEST_ARTIFACTS_DIR = BASE_DIR / "var" / "test-artifacts"
# Per process: database ids repeat from test to test, so cached boards must not outlive the run.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Static files straight from the app directories (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

