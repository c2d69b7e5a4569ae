"""The settings modules as an operator runs them: local settings with DEBUG off still serve pages."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Renders a page that uses {% static %} and fetches a static file, under the settings in the environment.
PAGE_AND_STATIC = """
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(raise_request_exception=False, HTTP_HOST="localhost")
page = client.get("/login/")
css = client.get("/static/css/seamline.css")
print("DEBUG", settings.DEBUG, "login", page.status_code, "css", css.status_code)
"""


def run_with(settings_module: str, tmp_path: Path, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        PYTHONPATH=str(REPO),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-c", PAGE_AND_STATIC], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_local_settings_serve_pages_and_static_files_with_debug_off(tmp_path):
    """.env.example sets DJANGO_DEBUG=false; without collectstatic there is no manifest to read."""
    done = run_with("config.settings.local", tmp_path, DJANGO_DEBUG="false")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "DEBUG False login 200 css 200" in done.stdout, done.stdout + done.stderr[-3000:]
