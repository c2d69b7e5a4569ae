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


IMAGE_POLICY = """
import django
django.setup()
from django.conf import settings
from production.images import image_url_allowed
print("img-src", " ".join(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]))
print("sandbox image", image_url_allowed("http://127.0.0.1:8765/images/product/1001/linen-shirt.svg"))
"""


def run_with(settings_module: str, tmp_path: Path, script: str = PAGE_AND_STATIC, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        PYTHONPATH=str(REPO),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_local_settings_serve_pages_and_static_files_with_debug_off(tmp_path):
    """.env.example sets DJANGO_DEBUG=false; without collectstatic there is no manifest to read."""
    done = run_with("config.settings.local", tmp_path, DJANGO_DEBUG="false")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "DEBUG False login 200 css 200" in done.stdout, done.stdout + done.stderr[-3000:]


def test_local_settings_allow_images_from_uphance_and_the_sandbox_only(tmp_path):
    done = run_with("config.settings.local", tmp_path, IMAGE_POLICY, UPHANCE_API_URL="http://127.0.0.1:8765")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "img-src 'self' data: https://uphance.com https://*.uphance.com http://127.0.0.1:8765\n" in done.stdout
    assert "sandbox image True" in done.stdout


def test_the_image_hosts_come_from_the_environment(tmp_path):
    done = run_with(
        "config.settings.local", tmp_path, IMAGE_POLICY, SEAMLINE_IMAGE_HOSTS="images.brand.example",
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "img-src 'self' data: https://images.brand.example\n" in done.stdout
    assert "sandbox image False" in done.stdout
