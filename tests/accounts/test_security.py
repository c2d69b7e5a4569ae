import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.support.factories import UserFactory

REPO = Path(__file__).resolve().parents[2]

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/(?:ld\+)?json[\"'])[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def csp_violations(html: str) -> list[str]:
    found = []
    for name, pattern in [("inline <script>", INLINE_SCRIPT), ("event handler attribute", EVENT_HANDLER),
                          ("<style> element", STYLE_ELEMENT), ("javascript: URL", JS_URL)]:
        found += [f"{name}: {m.group(0)[:80]}" for m in pattern.finditer(html)]
    return found


def project_templates() -> list[Path]:
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [REPO / app / "templates" for app in ("accounts", "production", "customers", "integrations")]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*.html"))


def test_no_template_has_inline_script_or_event_handlers():
    templates = project_templates()
    assert templates
    problems = {
        str(path.relative_to(REPO)): found
        for path in templates
        if (found := csp_violations(path.read_text()))
    }
    assert problems == {}


def no_argument_get_urls(patterns=None, prefix=""):
    """Every URL without arguments, outside the admin: the pages a user opens directly."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith("admin/"):
                yield from no_argument_get_urls(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern) and "<" not in route and not route.startswith("^"):
            yield "/" + prefix + route


@pytest.mark.django_db
def test_main_pages_satisfy_the_csp_and_send_it(client, admin_user, organisation):
    from accounts.models import UphanceConnection

    UphanceConnection.objects.create(organisation=organisation, api_url="https://api.uphance.com",
                                     uphance_organisation_id=35802, access_token="t")
    login = client.get("/login/")
    checked = {"/login/": login}
    client.force_login(admin_user)
    for url in sorted(set(no_argument_get_urls())):
        if url.startswith("/webhooks/") or url == "/logout/":
            continue
        response = client.get(url)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            checked[url] = response
    assert {"/", "/login/", "/settings/uphance/"} <= set(checked)

    for url, response in checked.items():
        assert "Content-Security-Policy" in response, url
        directives = [d.split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
        policy = {d[0]: d[1:] for d in directives}
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        html = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        assert csp_violations(html) == [], url


@pytest.mark.django_db
def test_login_throttling_locks_out_after_repeated_failures(client):
    UserFactory(username="alice", password="right-password")
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
        for _ in range(2):
            assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 200
        assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 429
        # Locked out: even the right password is refused now.
        locked = client.post("/login/", {"username": "alice", "password": "right-password"})
        assert locked.status_code == 429
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_successful_login_is_not_throttled(client):
    UserFactory(username="bob", password="right-password")
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
        client.post("/login/", {"username": "bob", "password": "wrong"})
        response = client.post("/login/", {"username": "bob", "password": "right-password"})
        assert response.status_code == 302
        assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only_and_same_site(client):
    UserFactory(username="carol", password="pw")
    page = client.get("/login/")
    assert page.cookies["csrftoken"]["samesite"] == "Lax"
    response = client.post("/login/", {"username": "carol", "password": "pw"})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="seamline.example.com",
        DATABASE_URL="postgres://seamline:dummy@127.0.0.1:1/seamline",
        REDIS_URL="redis://127.0.0.1:1/0",
        SEAMLINE_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        EMAIL_URL="smtp://127.0.0.1:1",
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=production_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_settings_require_https_hsts_and_secure_cookies():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.DEBUG)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO, env=production_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.stdout.split() == ["True", "True", "True", "True", "True", "False"], done.stderr


def test_production_settings_refuse_to_start_without_their_secrets():
    dotenv = REPO / ".env"
    if dotenv.exists() and "SEAMLINE_ENCRYPTION_KEYS" in dotenv.read_text():
        pytest.skip(".env sets SEAMLINE_ENCRYPTION_KEYS, and settings read it")
    env = production_env()
    del env["SEAMLINE_ENCRYPTION_KEYS"]
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0
    assert "SEAMLINE_ENCRYPTION_KEYS" in done.stderr
