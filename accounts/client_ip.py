"""The address a request came from, as seen through the trusted reverse proxies in front of Seamline.

Behind a proxy REMOTE_ADDR is the proxy, the same for everyone; the proxy appends the address it saw
to X-Forwarded-For. Only the entries our own proxies appended can be believed (a client writes the
rest), so with `SEAMLINE_TRUSTED_PROXY_COUNT` = N the client is the N-th address from the right of
X-Forwarded-For + REMOTE_ADDR. django-axes throttles logins by this address (AXES_CLIENT_IP_CALLABLE).
"""
import ipaddress

from django.conf import settings


def _address(text: str) -> str | None:
    text = text.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = max(int(getattr(settings, "SEAMLINE_TRUSTED_PROXY_COUNT", 0)), 0)
    if proxies == 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    chain = [*forwarded, remote or ""]
    # Fewer hops than proxies: the request did not come through all of them; take the farthest one.
    candidate = chain[-(proxies + 1)] if len(chain) > proxies else chain[0]
    return _address(candidate) or remote
