"""Fake time: tests that schedule or expire things run at a fixed instant, never at the wall clock's."""
import datetime as dt

import pytest
import time_machine

# Wednesday 3 June 2026, 12:00 UTC (13:00 in London): hours away from any test's schedule and from
# midnight in the zones the tests use. The clock ticks on from there, so durations still pass.
FIXED_NOW = dt.datetime(2026, 6, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def fixed_clock():
    """Every clock (timezone.now(), date.today(), model defaults) starts at FIXED_NOW."""
    with time_machine.travel(FIXED_NOW, tick=True):
        yield FIXED_NOW
