"""Local development and `make demo`: the embedded default (SQLite, filesystem broker, outbox)."""
from .base import *  # noqa: F403
from .base import SELF, STATIC_ROOT, UPHANCE_IMAGE_HOSTS, env, image_origins

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# The demo talks to the Uphance sandbox it starts (see `manage.py demo`).
UPHANCE_API_URL = env("UPHANCE_API_URL", default="http://127.0.0.1:8765")

if not SEAMLINE_ENCRYPTION_KEYS:  # noqa: F405
    # Local only: a key derived from the (local) secret key, so `make demo` needs no set-up.
    # Production settings require SEAMLINE_ENCRYPTION_KEYS and have no such fallback.
    import base64
    import hashlib

    SEAMLINE_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(("seamline-local:" + SECRET_KEY).encode()).digest()).decode()  # noqa: F405
    ]

# The sandbox serves the product images from its own origin.
SEAMLINE_IMAGE_HOSTS = image_origins(
    env.list("SEAMLINE_IMAGE_HOSTS", default=[*UPHANCE_IMAGE_HOSTS, "/".join(UPHANCE_API_URL.split("/")[:3])])
)
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = [SELF, "data:", *SEAMLINE_IMAGE_HOSTS]  # noqa: F405

# Static files straight from the app directories (no collectstatic needed outside production), also
# with DJANGO_DEBUG=false: the manifest storage of base/production would need collectstatic's manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
