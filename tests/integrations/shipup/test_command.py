"""`manage.py shipup_sandbox` serves the sandbox out of process and says where."""
import os
import signal
import subprocess
import sys

import requests

from integrations.shipup import ShipupClient
from tests.integrations.shipup.conftest import REPO


def test_command_prints_url_and_key_and_serves():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shipup_sandbox", "--port", "0", "--api-key", "demo-key"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url_line = process.stdout.readline()
        key_line = process.stdout.readline()
        assert url_line.startswith("Shipup sandbox listening on http://127.0.0.1:"), (
            url_line + process.stderr.read() if process.poll() is not None else url_line)
        assert key_line.strip() == "API key: demo-key"
        url = url_line.rsplit(" ", 1)[1].strip()

        ShipupClient(url, api_key="demo-key", timeout=5).order_upsert({"merchant_id": "O1"})

        state = requests.get(f"{url}/_sandbox/state", timeout=5).json()
        assert list(state["orders"]) == ["O1"]
        assert state["received"][0]["status"] == 201
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0
