"""The backtest on a fixed seed: Seamline's forecast beats the PO's date and 7 days a stage."""
import io
import json

import pytest
from django.core.management import call_command

from production.forecasts.backtest import forecast_backtest
from production.sync.engine import sync_run as production_sync
from production.sync.models import SyncRun
from tests.support.sandbox import sandbox_client

pytestmark = pytest.mark.django_db


def test_the_forecast_beats_both_baselines_and_the_command_ends_with_the_json_line(organisation, frozen_sandbox):
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=sandbox_client(frozen_sandbox))
    out = io.StringIO()
    call_command("forecast_backtest", "--as-of-days", "14", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) > 1 and "median error" in lines[1]
    report = json.loads(lines[-1])
    assert set(report) == {"forecast", "due_date", "fixed", "line_items"}
    assert set(report["forecast"]) == {"mae_days", "below_p50", "in_range", "above_p90"}
    assert report["line_items"] >= 50
    forecast = report["forecast"]
    assert forecast["mae_days"] < report["due_date"]["mae_days"]
    assert forecast["mae_days"] < report["fixed"]["mae_days"]
    assert forecast["below_p50"] + forecast["in_range"] + forecast["above_p90"] == pytest.approx(1.0, abs=0.002)
    assert forecast["above_p90"] < 0.3 and forecast["below_p50"] < 0.8

    only_json = io.StringIO()
    call_command("forecast_backtest", "--json", stdout=only_json)
    assert json.loads(only_json.getvalue()) == report


def test_a_forecast_made_earlier_knows_less(organisation, frozen_sandbox):
    production_sync(organisation=organisation, kind=SyncRun.Kind.PRODUCTION_FULL, client=sandbox_client(frozen_sandbox))
    near = forecast_backtest(organisation=organisation, as_of_days=3)
    far = forecast_backtest(organisation=organisation, as_of_days=14)
    assert near["forecast"]["mean_abs_days"] < far["forecast"]["mean_abs_days"]
