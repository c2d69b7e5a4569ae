"""gunicorn's logger with the secret of webhook URLs masked in access and error lines (gunicorn.conf.py names it)."""
from __future__ import annotations

from gunicorn.glogging import Logger as _GunicornLogger

from .logfilter import WebhookSecretFilter


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with the secret masked in access and error lines (gunicorn.conf.py names it)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)  # again on every reload: one filter per log is enough
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, WebhookSecretFilter) for f in log.filters):
                log.addFilter(WebhookSecretFilter())
