"""bench_analytics runs end to end (a build child, a fresh measuring child) on a tiny data set."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REPO = Path(__file__).resolve().parents[2]


def test_bench_analytics_builds_measures_and_prints_one_json_line(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, "manage.py", "bench_analytics", "--orders", "30", "--repeat", "1", "--explain", "1",
         "--database-url", f"sqlite:///{tmp_path / 'bench.sqlite3'}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["benchmark"] == "analytics"
    assert report["debug"] is False
    assert report["conn_max_age"] == 60
    assert report["orders"] == 30
    assert set(report["build_seconds"]) == {"data", "stage_history", "analytics"}
    assert report["derived_rows"]["stage_spans"] > 0
    pages = report["pages"]
    for name in ("manufacturers", "manufacturer", "stages", "flow", "forecasts", "manufacturers_csv", "stages_csv",
                 "flow_csv", "board_as_of", "board_as_of_changes"):
        assert pages[name]["queries"] > 0, name
        assert pages[name]["cold_p95_ms"] > 0, name
    assert len(report["hottest_statements"]) == 1
    assert "measuring in a fresh process: database sqlite, DEBUG False" in done.stderr


@pytest.mark.django_db
def test_bench_analytics_refuses_to_measure_with_debug_on(settings, tmp_path):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("bench_analytics", "--measure-from", str(tmp_path / "built.json"))
