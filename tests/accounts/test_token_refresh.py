"""Two workers refreshing one connection's token, when Uphance revokes a refresh token once used."""
import threading

import pytest
from django.db import connection as db_connection
from django.db import connections

from accounts.models import UphanceConnection
from accounts.services import uphance_client_for, uphance_connect, uphance_tokens_refresh
from integrations.uphance.errors import AuthExpired
from integrations.uphance.sandbox import SandboxServer
from tests.support.sandbox import sandbox_client

from .conftest import SOLO


@pytest.fixture
def rotating_sandbox():
    """Uphance that rotates refresh tokens: each works once."""
    server = SandboxServer(orders=20, seed=3, revoke_used_refresh_tokens=True).start()
    yield server
    server.stop()


def grants(server) -> int:
    return sum(1 for method, path, _ in server.state.request_log if path == "/oauth/token")


@pytest.mark.django_db
def test_the_second_worker_uses_the_tokens_the_first_refreshed_instead_of_spending_a_revoked_one(
        organisation, rotating_sandbox):
    uphance_connect(api_url=rotating_sandbox.url, **SOLO)
    first, second = uphance_client_for(organisation=organisation), uphance_client_for(organisation=organisation)
    rotating_sandbox.state.expire_tokens()
    before = grants(rotating_sandbox)

    assert first.seasons()  # 401 → refresh grant (its refresh token is now revoked) → stored
    assert second.seasons()  # 401 → finds the stored tokens → goes on without a grant

    assert grants(rotating_sandbox) - before == 1
    connection = UphanceConnection.objects.get(organisation=organisation)
    assert connection.status == "connected"
    assert second.tokens.access_token == first.tokens.access_token == connection.access_token


@pytest.mark.django_db
def test_a_refused_refresh_reads_the_tokens_again_before_giving_up(organisation, rotating_sandbox):
    uphance_connect(api_url=rotating_sandbox.url, **SOLO)
    stale = uphance_client_for(organisation=organisation).tokens
    elsewhere = sandbox_client(rotating_sandbox)  # another process's fresh tokens

    def grant_refused_because_another_process_just_refreshed(tokens):
        UphanceConnection.objects.filter(organisation=organisation).update(
            access_token=elsewhere.tokens.access_token, refresh_token=elsewhere.tokens.refresh_token)
        raise AuthExpired()

    tokens = uphance_tokens_refresh(organisation=organisation, stale=stale,
                                    grant=grant_refused_because_another_process_just_refreshed)
    assert tokens.access_token == elsewhere.tokens.access_token

    def refused(tokens):
        raise AuthExpired("refresh token revoked")

    with pytest.raises(AuthExpired, match="revoked"):  # nothing newer anywhere: give up
        uphance_tokens_refresh(organisation=organisation, stale=tokens, grant=refused)


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_the_same_moment_spend_the_refresh_token_once(organisation, rotating_sandbox):
    if db_connection.vendor != "postgresql":
        # tests/test_postgresql.py runs it there. The in-memory SQLite of the tests locks tables instead of
        # waiting; the embedded default's file database queues writers (IMMEDIATE transactions).
        pytest.skip("two threads writing at once need a server database")
    uphance_connect(api_url=rotating_sandbox.url, **SOLO)
    rotating_sandbox.state.expire_tokens()
    before = grants(rotating_sandbox)
    start, results = threading.Barrier(2), []

    def worker():
        try:
            client = uphance_client_for(organisation=organisation)
            start.wait()
            results.append(bool(client.seasons()))
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert results == [True, True]
    assert grants(rotating_sandbox) - before == 1
    assert UphanceConnection.objects.get(organisation=organisation).status == "connected"
