"""The database-heavy tests again, on a real PostgreSQL server on loopback.

The suite runs on SQLite (the embedded default); production runs on PostgreSQL. This runs the
modules whose SQL differs most between the two (bulk upserts, aggregates, locks) in a child pytest
with DATABASE_URL pointing at a throw-away PostgreSQL server.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_in_ci
from tests.support.servers import PostgresServer

REPO = Path(__file__).resolve().parent.parent
MODULES = [
    "tests/production/sync/test_services.py",
    "tests/production/sync/test_seed_examples.py",
    "tests/production/sync/test_views.py",
    "tests/production/sync/test_webhooks.py",
    "tests/production/sync/test_engine.py",
    "tests/production/sync/test_upsert.py",
    "tests/production/test_order_copy.py",
    "tests/production/test_migrations.py",
    "tests/board/test_selectors.py",
    "tests/board/test_views.py",
    "tests/board/test_timelines.py",
    "tests/board/test_forecasts_on_board.py",
    "tests/board/test_forecast_agreement.py",
    "tests/production/forecasts/test_services.py",
    "tests/production/test_rules.py",
    "tests/summaries/test_rules_agree.py",
    "tests/summaries/test_services.py",
    "tests/summaries/test_recipients.py",
    "tests/summaries/test_outbox.py",
    "tests/summaries/test_migrations.py",
    "tests/customers/test_sync.py",
    "tests/customers/test_demand.py",
    "tests/customers/shipup/test_services.py",
    "tests/accounts/test_isolation.py",
    "tests/test_migrations.py",
    "tests/production/forecasts/test_slips.py",
    "tests/accounts/test_switch.py",
    "tests/accounts/test_token_refresh.py",
    "tests/production/test_history.py",
    "tests/board/test_as_of.py",
    "tests/board/test_rollup.py",
    "tests/board/test_stuck_cells.py",
    "tests/analytics/test_figures.py",
    "tests/analytics/test_pages.py",
    "tests/analytics/test_queries.py",
]


@pytest.mark.postgres
@pytest.mark.timeout(1600)  # a child pytest of many modules; its own timeout is 1500 s
def test_database_heavy_tests_pass_on_postgresql():
    reason = PostgresServer.unavailable_reason()
    if reason:
        require_in_ci(reason)
    modules = MODULES
    missing = [m for m in modules if not (REPO / m).exists()]
    assert not missing, f"listed modules are gone: {missing}"
    with PostgresServer() as server:
        env = {**os.environ, "DATABASE_URL": server.url}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not browser and not stack and not postgres",
             *modules],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=1500,
        )
    tail = (result.stdout + result.stderr)[-8000:]
    print(tail)
    assert result.returncode == 0, tail
