"""Sandboxes with a frozen clock at a fixed start: the same data, the same figures, every run."""
from datetime import UTC, datetime

import pytest

CLOCK = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def frozen_sandbox():
    from integrations.uphance.sandbox import SandboxServer

    with SandboxServer(orders=300, seed=2, time_speed=0, clock_start=CLOCK, new_order_hours=0) as server:
        yield server
