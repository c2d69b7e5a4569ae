"""Fixtures of the accounts tests: Django pointed at a sandbox on loopback."""
import pytest

from accounts.services import uphance_connect

SOLO = {"email": "solo@sandbox.test", "password": "sandbox"}
MULTI = {"email": "multi@sandbox.test", "password": "sandbox"}


@pytest.fixture
def uphance_at(settings, sandbox_server):
    """UPHANCE_API_URL is the shared sandbox (read-only use)."""
    settings.UPHANCE_API_URL = sandbox_server.url
    return sandbox_server


@pytest.fixture
def connected_organisation(db, fresh_sandbox, organisation):
    """The `organisation` fixture connected to a sandbox the test may mutate."""
    result = uphance_connect(api_url=fresh_sandbox.url, **SOLO)
    assert result.organisation == organisation
    return organisation
