"""Sandbox servers on loopback for the sandbox's own tests, and a logged-in `requests` session."""

from datetime import UTC, datetime

import pytest
import requests

from integrations.uphance.sandbox import NORTHWIND, SandboxServer

CLOCK = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def login(
    server, email: str = "multi@sandbox.test", org: int | None = NORTHWIND
) -> requests.Session:
    """A session with a fresh token (and, unless org is None, that token's current organisation)."""
    session = requests.Session()
    answer = session.post(
        f"{server.url}/oauth/token",
        json={"email": email, "password": "sandbox", "grant_type": "password"},
    )
    assert answer.status_code == 200, answer.text
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    session.refresh_token = answer.json()["refresh_token"]
    if org is not None:
        assert (
            session.post(
                f"{server.url}/organisations/set_current_org", json={"organizationId": org}
            ).status_code
            == 201
        )
    return session


def all_pages(
    session: requests.Session, url: str, envelope: str, params=None
) -> tuple[list[dict], list[dict]]:
    """Every record of a paginated listing, and the meta of every page."""
    records, metas, page = [], [], 1
    while page:
        answer = session.get(url, params=[*(params or []), ("page", page)])
        assert answer.status_code == 200, answer.text
        data = answer.json()
        records += data[envelope]
        metas.append(data["meta"])
        page = data["meta"]["next_page"]
    return records, metas


@pytest.fixture(scope="module")
def sandbox():
    """Read-only: a frozen clock, so every request sees the same world."""
    with SandboxServer(orders=120, seed=3, time_speed=0, clock_start=CLOCK) as server:
        yield server


@pytest.fixture
def mutable_sandbox():
    with SandboxServer(orders=60, seed=5, time_speed=0, clock_start=CLOCK) as server:
        yield server


@pytest.fixture(scope="module")
def session(sandbox):
    return login(sandbox)
