"""Login throttling behind the reverse proxy: each client is locked out on its own address."""
import pytest
from django.test import Client, RequestFactory, override_settings

from accounts.client_ip import client_ip_address
from tests.support.factories import UserFactory

PROXY = "172.18.0.1"  # what gunicorn sees as REMOTE_ADDR behind the documented proxy


def address(*, forwarded=None, remote=PROXY, proxies=1):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    with override_settings(SEAMLINE_TRUSTED_PROXY_COUNT=proxies):
        return client_ip_address(request)


def test_without_a_trusted_proxy_the_client_is_remote_addr_whatever_the_header_says():
    assert address(forwarded="203.0.113.9", proxies=0) == PROXY


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended():
    assert address(forwarded="203.0.113.9") == "203.0.113.9"
    # A client cannot pick its address: only the entry our proxy appended counts.
    assert address(forwarded="10.0.0.1, 198.51.100.7, 203.0.113.9") == "203.0.113.9"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client():
    assert address(forwarded="10.0.0.1, 203.0.113.9, 192.0.2.1", proxies=2) == "203.0.113.9"


def test_a_missing_short_or_malformed_header_falls_back_to_what_can_be_trusted():
    assert address() == PROXY
    assert address(forwarded="not-an-ip") == PROXY
    assert address(forwarded=" 2001:db8::1 ") == "2001:db8::1"
    assert address(forwarded="203.0.113.9", proxies=3) == "203.0.113.9"


@pytest.mark.django_db
def test_two_clients_behind_the_proxy_are_locked_out_separately():
    UserFactory(username="admin", password="right-password")
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    admin = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, SEAMLINE_TRUSTED_PROXY_COUNT=1):
        for _ in range(3):
            attacker.post("/login/", {"username": "admin", "password": "guess"})
        assert attacker.post("/login/", {"username": "admin", "password": "right-password"}).status_code == 429

        response = admin.post("/login/", {"username": "admin", "password": "right-password"})

        assert response.status_code == 302
        assert "_auth_user_id" in admin.session
