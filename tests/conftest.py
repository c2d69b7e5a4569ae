"""Fixtures shared by the whole suite; each test package adds its own conftest beside its tests."""
import os
import shutil
from pathlib import Path

import pytest

from tests.support.clock import fixed_clock  # noqa: F401  (fixtures for every test)
from tests.support.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.support.forecast_data import forecast_shop  # noqa: F401
from tests.support.production_data import board_data, clear_cache  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("SEAMLINE_TEST_ARTIFACTS", REPO / "var" / "test-artifacts"))


def pytest_configure(config):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


def require_in_ci(reason: str):
    """Skip with `reason` on a fresh machine, but fail in CI where every test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test but cannot: {reason}")
    pytest.skip(reason)


@pytest.fixture
def artifacts_dir() -> Path:
    return ARTIFACTS


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Northwind Apparel", uphance_id=35802)


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(name="Other Brand", uphance_id=35899)


@pytest.fixture
def user(db, organisation):
    user = UserFactory(username="manager")
    MembershipFactory(user=user, organisation=organisation, role="manager")
    return user


@pytest.fixture
def admin_user(db, organisation):
    user = UserFactory(username="boss")
    MembershipFactory(user=user, organisation=organisation, role="admin")
    return user


@pytest.fixture
def viewer_user(db, organisation):
    user = UserFactory(username="viewer")
    MembershipFactory(user=user, organisation=organisation, role="viewer")
    return user


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_org(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def sandbox_server():
    """A real Uphance sandbox on loopback shared by the session (tests must not mutate it)."""
    from integrations.uphance.sandbox import SandboxServer

    server = SandboxServer(orders=120, seed=7).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_sandbox():
    """A sandbox a test may mutate (add/delete orders, advance the clock, inject faults)."""
    from integrations.uphance.sandbox import SandboxServer

    server = SandboxServer(orders=60, seed=11).start()
    yield server
    server.stop()


def which(name: str) -> str | None:
    return shutil.which(name)


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole run (Playwright's sync API allows one per thread)."""
    from tests.support.browsers import chromium

    with chromium() as browser:
        yield browser
