"""The sandbox's WSGI application: Uphance's documented endpoints and loopback control ones."""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .errors import SandboxError
from .images import image_svg
from .production import STAGE_STATUS_FILTERS, iso
from .state import OrderFilters, SalesFilters, SandboxState, Token

logger = logging.getLogger(__name__)

PRODUCTION_ORDERS_PER_PAGE = 50
TIMELINES_PER_PAGE = 100
SALES_ORDERS_PER_PAGE = 100
CUSTOMERS_PER_PAGE = 100
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
    "URI used in the authorization request, or was issued to another client."
)

URLS = Map(
    [
        Rule("/oauth/token", endpoint="token", methods=["POST"]),
        Rule("/organisations", endpoint="organisations", methods=["GET"]),
        Rule("/organisations/set_current_org", endpoint="set_current_org", methods=["POST", "PUT"]),
        Rule("/seasons", endpoint="seasons", methods=["GET"]),
        Rule("/warehouses", endpoint="warehouses", methods=["GET"]),
        Rule("/channels", endpoint="channels", methods=["GET"]),
        Rule("/production_orders", endpoint="production_orders", methods=["GET"]),
        Rule(
            "/production_order_line_items/production_timeline_bulk",
            endpoint="timeline_bulk",
            methods=["GET"],
        ),
        Rule(
            "/production_order_line_items/<int:line_item_id>/production_timeline",
            endpoint="timeline",
            methods=["GET"],
        ),
        Rule("/sales_orders", endpoint="sales_orders", methods=["GET", "POST"]),
        Rule("/sales_orders/<ident>", endpoint="sales_order", methods=["GET"]),
        Rule("/customers", endpoint="customers", methods=["GET", "POST"]),
        Rule("/customers/<ident>", endpoint="customer", methods=["GET"]),
        Rule("/customers/<int:customer_id>/contacts", endpoint="contacts", methods=["GET"]),
        Rule("/customers/<int:customer_id>/addresses", endpoint="addresses", methods=["GET"]),
        Rule(
            "/customers/<int:customer_id>/create_contact",
            endpoint="create_contact",
            methods=["POST"],
        ),
        Rule(
            "/customers/<int:customer_id>/create_address",
            endpoint="create_address",
            methods=["POST"],
        ),
        Rule("/images/<kind>/<int:record_id>/<name>", endpoint="image", methods=["GET"]),
        Rule("/_sandbox/state", endpoint="control_state", methods=["GET"]),
        Rule("/_sandbox/advance", endpoint="control_advance", methods=["POST"]),
        Rule("/_sandbox/clock", endpoint="control_clock", methods=["POST"]),
        Rule("/_sandbox/orders/new", endpoint="control_orders_new", methods=["POST"]),
        Rule(
            "/_sandbox/orders/<int:order_id>/delete",
            endpoint="control_order_delete",
            methods=["POST"],
        ),
        Rule("/_sandbox/faults", endpoint="control_faults", methods=["POST"]),
        Rule("/_sandbox/tokens/expire", endpoint="control_tokens_expire", methods=["POST"]),
        Rule("/_sandbox/tokens/rotation", endpoint="control_tokens_rotation", methods=["POST"]),
    ]
)

ORG_FREE = {"organisations", "set_current_org"}


COMPACT = {"separators": (",", ":")}


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(data, **COMPACT)
    return Response(
        body, status=status, headers=headers, content_type="application/json; charset=utf-8"
    )


def error(status: int, message: str, **extra) -> Response:
    return json_response({"error": message, **extra}, status)


def meta(page: int, per_page: int, total: int) -> dict:
    total_pages = math.ceil(total / per_page)
    return {
        "current_page": page,
        "next_page": page + 1 if page < total_pages else None,
        "prev_page": page - 1 if page > 1 else None,
        "total_pages": total_pages,
        "total_count": total,
    }


def page_of(seq: Sequence, page: int, per_page: int) -> Sequence:
    return seq[(page - 1) * per_page : page * per_page]


def _list(request: Request, name: str) -> list[str]:
    values = request.args.getlist(f"{name}[]") + request.args.getlist(name)
    return [v.strip() for v in values if v.strip()]


def _int_list(request: Request, name: str) -> frozenset[int]:
    try:
        return frozenset(int(v) for v in _list(request, name))
    except ValueError:
        raise SandboxError(422, f"{name} must be ids") from None


def _page(request: Request) -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _optional_int(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise SandboxError(422, f"{name} must be an integer") from None


def _body(request: Request) -> dict:
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        return data
    return {**request.args.to_dict(), **request.form.to_dict()}


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


class SandboxApp:
    """WSGI callable over a SandboxState."""

    def __init__(self, state: SandboxState, *, sleep: Callable[[float], None] = time.sleep):
        self.state = state
        self.sleep = sleep

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except SandboxError as exc:
            response = error(exc.status, exc.message)
        except Exception:  # a bug in the sandbox must not look like a hung server
            logger.exception("sandbox error on %s %s", request.method, request.full_path)
            response = error(500, "Internal sandbox error")
        return response(environ, start_response)

    # ------------------------------------------------------------------ dispatch
    def dispatch(self, request: Request) -> Response:
        adapter = URLS.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return error(405, "Method not allowed")
        except NotFound:
            return error(404, "Not found")
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return error(exc.code or 404, "Not found")
        if endpoint.startswith("control_"):
            if not _is_loopback(request.remote_addr):
                return error(403, "Sandbox control is only available on loopback")
            return getattr(self, endpoint)(request, **args)
        if endpoint == "image":
            return self.image(request, **args)

        state = self.state
        number = state.record_request(
            request.method, request.path, request.args.to_dict(flat=False)
        )
        if state.latency_ms:
            self.sleep(state.latency_ms / 1000)
        fault = state.fault_for(number)
        if fault is not None:
            if fault.kind == "rate_limited":
                return json_response(
                    {"error": "Too many requests"}, 429, {"Retry-After": fault.retry_after}
                )
            if fault.kind == "server_error":
                return error(
                    fault.status,
                    {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}[
                        fault.status
                    ],
                )
            self.sleep(fault.delay)
        if endpoint == "token":
            return self.token(request)
        token = self._authorise(request)
        if token is None:
            return json_response(
                {
                    "error": "invalid_token",
                    "error_description": "The access token is invalid or expired",
                },
                401,
                {"WWW-Authenticate": 'Bearer realm="Uphance", error="invalid_token"'},
            )
        if endpoint in ORG_FREE:
            return getattr(self, endpoint)(request, token, **args)
        if token.organisation_id is None:
            return error(422, "No current organisation: POST /organisations/set_current_org first")
        org = state.organisation(token.organisation_id)
        return getattr(self, endpoint)(request, org, **args)

    def _authorise(self, request: Request) -> Token | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return self.state.token(value.strip())

    # ------------------------------------------------------------------ connecting
    def token(self, request: Request) -> Response:
        body = _body(request)
        grant = str(body.get("grant_type") or "")
        expires_in = body.get("expires_in")
        try:
            expires_in = None if expires_in in (None, "") else int(expires_in)
        except (TypeError, ValueError):
            return json_response(
                {"error": "invalid_request", "error_description": "expires_in must be seconds"}, 400
            )
        if grant == "password":
            token = self.state.authenticate(
                str(body.get("email") or ""), str(body.get("password") or ""), expires_in
            )
        elif grant == "refresh_token":
            token = self.state.refresh(str(body.get("refresh_token") or ""), expires_in)
        else:
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not supported.",
                },
                400,
            )
        if token is None:
            return json_response(
                {"error": "invalid_grant", "error_description": INVALID_GRANT}, 401
            )
        return json_response(
            {
                "access_token": token.access_token,
                "token_type": "Bearer",
                "expires_in": token.expires_in,
                "created_at": token.created_at,
                "refresh_token": token.refresh_token,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def organisations(self, request: Request, token: Token) -> Response:
        orgs = [self.state.organisation(org_id) for org_id in token.organisations]
        return json_response({"organisations": [{"id": org.id, "name": org.name} for org in orgs]})

    def set_current_org(self, request: Request, token: Token) -> Response:
        raw = _body(request).get("organizationId") or _body(request).get("organisationId")
        try:
            org_id = int(raw)
        except (TypeError, ValueError):
            return error(422, "organizationId is required")
        if org_id not in token.organisations:
            return error(403, "You do not have access to this organisation")
        token.organisation_id = org_id
        return json_response({"Status": "Updated"}, 201)

    # ------------------------------------------------------------------ reference data
    def seasons(self, request: Request, org) -> Response:
        return json_response({"seasons": [{"id": i, "name": n} for i, n in org.seasons]})

    def warehouses(self, request: Request, org) -> Response:
        return json_response({"warehouses": [{"id": i, "name": n} for i, n in org.warehouses]})

    def channels(self, request: Request, org) -> Response:
        return json_response(
            {"channels": [{"id": i, "name": n, "currency": c} for i, n, c in org.channels]}
        )

    def image(self, request: Request, kind: str, record_id: int, name: str) -> Response:
        svg = image_svg(self.state.organisations, kind, record_id)
        if svg is None:
            return error(404, "Not found")
        return Response(
            svg, content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    # ------------------------------------------------------------------ production
    def production_orders(self, request: Request, org) -> Response:
        include_stages = request.args.get("include_stages", "").lower() in ("true", "1")
        stage_status = request.args.get("by_stage_status") or None
        if stage_status is not None and stage_status not in STAGE_STATUS_FILTERS:
            return error(
                422, "by_stage_status must be one of not_started, in_progress, pending, completed"
            )
        since_created = request.args.get("since_created_at")
        since_created_ts = None
        if since_created:
            try:
                day = datetime.strptime(since_created.strip(), "%d/%m/%Y").replace(tzinfo=UTC)
            except ValueError:
                return error(422, "since_created_at must be DD/MM/YYYY")
            since_created_ts = int(day.timestamp())
        q = (request.args.get("by_q") or "").strip().lower() or None
        filters = OrderFilters(
            since_id=_optional_int(request, "since_id"),
            since_created_ts=since_created_ts,
            seasons=_int_list(request, "by_season"),
            warehouses=frozenset(v.lower() for v in _list(request, "by_warehouse")),
            companies=_int_list(request, "by_company"),
            states=frozenset(v.lower() for v in _list(request, "by_state")),
            delivery_statuses=frozenset(v.lower() for v in _list(request, "by_delivery_status")),
            q=q,
            stage_status=stage_status,
            stage_names=frozenset(v.lower() for v in _list(request, "by_stage_name")),
        )
        page = _page(request)
        state = self.state
        now = state.now_ts()
        indices = state.matching_orders(org, filters, now, include_stages)
        records = state.render_orders_text(
            org, page_of(indices, page, PRODUCTION_ORDERS_PER_PAGE), now, include_stages
        )
        paging = json.dumps(meta(page, PRODUCTION_ORDERS_PER_PAGE, len(indices)), **COMPACT)
        body = f'{{"production_orders":{records},"meta":{paging}}}'
        return Response(body, content_type="application/json; charset=utf-8")

    def timeline(self, request: Request, org, line_item_id: int) -> Response:
        state = self.state
        item = state.render_timeline(org, line_item_id, state.now_ts(), bulk=False)
        if item is None:
            return error(404, "Production order line item not found")
        if state.timeline_is_malformed(org, line_item_id):
            # The documented example is not valid JSON (a trailing comma); some answers are so too.
            inner = json.dumps(item, ensure_ascii=False, indent=0)
            body = '{\n"production_order_line_item": ' + inner[:-1].rstrip() + ",\n}\n}"
            return Response(body, content_type="application/json; charset=utf-8")
        return json_response({"production_order_line_item": item})

    def timeline_bulk(self, request: Request, org) -> Response:
        stage_status = request.args.get("by_stage_status") or None
        if stage_status is not None and stage_status not in STAGE_STATUS_FILTERS:
            return error(
                422, "by_stage_status must be one of not_started, in_progress, pending, completed"
            )
        raw_ids = [part for v in _list(request, "ids") for part in v.split(",") if part.strip()]
        try:
            ids = [int(v) for v in raw_ids] if raw_ids else None
        except ValueError:
            return error(422, "ids must be integers")
        names = frozenset(v.lower() for v in _list(request, "by_stage_name"))
        state = self.state
        now = state.now_ts()
        matching = state.matching_line_items(org, ids, stage_status, names, now)
        page = _page(request)
        items = [
            state.render_timeline(org, line_id, now, bulk=True)
            for line_id in page_of(matching, page, TIMELINES_PER_PAGE)
        ]
        return json_response(
            {
                "production_order_line_items": [i for i in items if i is not None],
                "meta": meta(page, TIMELINES_PER_PAGE, len(matching)),
            }
        )

    # ------------------------------------------------------------------ sales orders
    def sales_orders(self, request: Request, org) -> Response:
        state = self.state
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return error(400, "Expected a JSON object")
            return json_response({"sales_order": state.create_sales_order(org, body)}, 201)
        filters = SalesFilters(
            since_id=_optional_int(request, "since_id"),
            purchase_order_ref=(request.args.get("by_purchase_order_ref") or "").strip() or None,
            shipment_number=(request.args.get("by_shipment_number") or "").strip() or None,
            order_number=(request.args.get("by_order_number") or "").strip() or None,
        )
        indices = state.matching_sales_orders(org, filters)
        page = _page(request)
        records = [state.sales_order(org, i) for i in page_of(indices, page, SALES_ORDERS_PER_PAGE)]
        return json_response(
            {"sales_orders": records, "meta": meta(page, SALES_ORDERS_PER_PAGE, len(indices))}
        )

    def sales_order(self, request: Request, org, ident: str) -> Response:
        order = self.state.find_sales_order(org, ident.strip())
        if order is None:
            return error(404, "Sales order not found")
        return json_response({"sales_order": order})

    # ------------------------------------------------------------------ customers
    def customers(self, request: Request, org) -> Response:
        state = self.state
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return error(400, "Expected a JSON object")
            return json_response({"customer": state.create_customer(org, body)}, 201)
        status = (request.args.get("by_status") or "active").strip().lower()
        if status not in ("active", "inactive", "all"):
            return error(422, "by_status must be active, inactive or all")
        contact = (request.args.get("by_agents_contact") or "").strip() or None
        indices = state.matching_customers(org, status, contact)
        page = _page(request)
        records = [state.customer(org, i) for i in page_of(indices, page, CUSTOMERS_PER_PAGE)]
        return json_response(
            {"customers": records, "meta": meta(page, CUSTOMERS_PER_PAGE, len(indices))}
        )

    def _customer_index(self, org, ident: str) -> int | None:
        ident = ident.strip()
        if ident.isdigit():
            return self.state.customer_index(org, int(ident))
        if "@" in ident:
            return self.state.find_customer_by_email(org, ident)
        return None

    def customer(self, request: Request, org, ident: str) -> Response:
        index = self._customer_index(org, ident)
        if index is None:
            return error(404, "Customer not found")
        return json_response({"customer": self.state.customer(org, index)})

    def contacts(self, request: Request, org, customer_id: int) -> Response:
        index = self.state.customer_index(org, customer_id)
        if index is None:
            return error(404, "Customer not found")
        return json_response({"contacts": self.state.customer(org, index)["people"]})

    def addresses(self, request: Request, org, customer_id: int) -> Response:
        index = self.state.customer_index(org, customer_id)
        if index is None:
            return error(404, "Customer not found")
        return json_response({"addresses": self.state.customer(org, index)["addresses"]})

    def create_contact(self, request: Request, org, customer_id: int) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "Expected a JSON object")
        return json_response({"contact": self.state.create_contact(org, customer_id, body)}, 201)

    def create_address(self, request: Request, org, customer_id: int) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "Expected a JSON object")
        return json_response({"address": self.state.create_address(org, customer_id, body)}, 201)

    # ------------------------------------------------------------------ control (loopback, no auth)
    def control_state(self, request: Request) -> Response:
        return json_response(self.state.snapshot())

    def control_advance(self, request: Request) -> Response:
        body = _body(request)
        try:
            now = self.state.advance(
                hours=float(body.get("hours") or 0),
                days=float(body.get("days") or 0),
                seconds=float(body.get("seconds") or 0),
            )
        except (TypeError, ValueError) as exc:
            return error(422, str(exc))
        return json_response(
            {"now": iso(int(now.timestamp()), "Z"), "production_now": iso(self.state.now_ts(), "Z")}
        )

    def control_clock(self, request: Request) -> Response:
        try:
            self.state.set_time_speed(float(_body(request)["time_speed"]))
        except (KeyError, TypeError, ValueError):
            return error(422, "time_speed is required")
        return json_response(
            {"time_speed": self.state.time_speed, "now": iso(int(self.state.now.timestamp()), "Z")}
        )

    def control_orders_new(self, request: Request) -> Response:
        body = _body(request)
        try:
            ids = self.state.add_orders(
                int(body.get("org") or body.get("organisation_id")), int(body.get("count", 1))
            )
        except (KeyError, TypeError, ValueError) as exc:
            return error(422, f"org and count are required ({exc})")
        return json_response({"ids": ids}, 201)

    def control_order_delete(self, request: Request, order_id: int) -> Response:
        org_id = self.state.organisation_of_order(order_id)
        if org_id is None:
            return error(404, "Production order not found")
        self.state.delete_order(org_id, order_id)
        return json_response({"deleted": order_id, "organisation_id": org_id})

    def control_faults(self, request: Request) -> Response:
        body = _body(request)
        try:
            self.state.set_faults(
                fault_rate=None if body.get("fault_rate") is None else float(body["fault_rate"]),
                malformed_rate=None
                if body.get("malformed_rate") is None
                else float(body["malformed_rate"]),
            )
        except (TypeError, ValueError):
            return error(422, "fault_rate and malformed_rate must be numbers")
        return json_response(
            {"fault_rate": self.state.fault_rate, "malformed_rate": self.state.malformed_rate}
        )

    def control_tokens_expire(self, request: Request) -> Response:
        return json_response({"expired": self.state.expire_tokens()})

    def control_tokens_rotation(self, request: Request) -> Response:
        revoke = _body(request).get("revoke_used_refresh_tokens")
        if not isinstance(revoke, bool):
            return error(422, "revoke_used_refresh_tokens must be true or false")
        self.state.set_refresh_token_rotation(revoke_used=revoke)
        return json_response({"revoke_used_refresh_tokens": self.state.revoke_used_refresh_tokens})
