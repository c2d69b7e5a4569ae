import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organisation, UphanceConnection

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_uphance_connect_wrong_password_is_one_line_and_exit_status_1(sandbox_server, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "UPHANCE_PASSWORD": "wrong-password",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "uphance_connect", "--email", "solo@sandbox.test",
         "--api-url", sandbox_server.url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    error_lines = [line for line in done.stderr.splitlines() if "CommandError" in line]
    assert error_lines == ["CommandError: Uphance rejected the e-mail or password."]
    assert "wrong-password" not in done.stdout + done.stderr


def test_uphance_connect_connects_and_makes_the_admin(sandbox_server, monkeypatch, capsys):
    alice = get_user_model().objects.create_user("alice", password="x")
    monkeypatch.setenv("UPHANCE_PASSWORD", "sandbox")

    call_command("uphance_connect", "--email", "solo@sandbox.test", "--api-url", sandbox_server.url,
                 "--admin", "alice")

    organisation = Organisation.objects.get(uphance_id=35802)
    assert UphanceConnection.objects.get(organisation=organisation).is_usable
    assert Membership.objects.get(user=alice, organisation=organisation).role == "admin"
    assert "Northwind Apparel" in capsys.readouterr().out


def test_uphance_connect_with_several_organisations_needs_a_choice(sandbox_server, monkeypatch):
    monkeypatch.setenv("UPHANCE_PASSWORD", "sandbox")

    with pytest.raises(CommandError, match=r"35802 \(Northwind Apparel\), 35803 \(Southpaw Studio\)"):
        call_command("uphance_connect", "--email", "multi@sandbox.test", "--api-url", sandbox_server.url)
    assert not Organisation.objects.exists()

    call_command("uphance_connect", "--email", "multi@sandbox.test", "--api-url", sandbox_server.url,
                 "--organisation-id", "35803")
    assert Organisation.objects.get().name == "Southpaw Studio"


def test_demo_setup_is_idempotent(sandbox_server, settings, capsys):
    settings.UPHANCE_API_URL = sandbox_server.url

    call_command("demo_setup")
    call_command("demo_setup")

    demo = get_user_model().objects.get(username="demo")
    assert demo.check_password("demo")
    organisation = Organisation.objects.get()
    assert organisation.name == "Northwind Apparel"
    assert Membership.objects.get(user=demo).organisation == organisation
    assert Membership.objects.get(user=demo).role == "admin"
    assert UphanceConnection.objects.get().is_usable
    assert "Northwind Apparel" in capsys.readouterr().out
