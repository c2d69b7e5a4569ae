"""Fixtures for the Uphance client tests: HTTP faked with `responses`, time faked by hand."""
from datetime import UTC, datetime

import pytest
import responses

from integrations.uphance import Tokens, UphanceClient

BASE = "https://api.uphance.test"
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when the client sleeps; records every sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def make_client(fake_time):
    """A connected client (token "tok-1", refresh "ref-1", organisation 35802), no rate limit."""

    def make(**overrides) -> UphanceClient:
        options = {
            "tokens": Tokens("tok-1", "ref-1", None),
            "organisation_id": 35802,
            "max_requests_per_second": None,
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "utcnow": lambda: NOW,
            "backoff": lambda attempt: 0.25 * (attempt + 1),
        }
        options.update(overrides)
        return UphanceClient(BASE, **options)

    return make
