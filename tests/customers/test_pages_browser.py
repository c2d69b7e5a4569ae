"""The customer pages in Chromium: the list filters live with htmx, a customer fits a phone; screenshots kept."""

from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from customers.models import Agent, Contact
from customers.services.demand import demand_links_rebuild
from tests.customers.conftest import CustomerFactory, days, demand, production
from tests.support.factories import (
    MembershipFactory,
    OrganisationFactory,
    StageFactory,
    UserFactory,
)


def session_cookie(user, live_server) -> dict:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}


def scene():
    organisation = OrganisationFactory(name="Northwind Apparel")
    user = UserFactory(username="planner")
    MembershipFactory(user=user, organisation=organisation)
    rosa = CustomerFactory(organisation=organisation, name="Rosa Stork", reference="RS1", city="Essen", country="DE",
                           channel_name="Wholesale", currency="EUR", orders_count=29)
    Contact.objects.create(organisation=organisation, customer=rosa, uphance_id=1, first_name="Ana", last_name="Berg",
                           position="Buyer", email="ana@stork.example", phone_1="+492015550137", buyer=True,
                           shipping=True, billing=True)
    rosa.addresses.create(organisation=organisation, uphance_id=2, line_1="Im Stillen Winkel 7", city="Essen",
                          postcode="45149", country="DE", default_for_shipping=True, default_for_billing=True)
    rosa.agents.add(Agent.objects.create(organisation=organisation, uphance_id=9171, name="Cora Agencies",
                                         email="cora@agencies.example"))
    sewing = StageFactory(organisation=organisation, name="Sewing", colour="#89d7ca", position=1)
    StageFactory(organisation=organisation, name="Packing", colour="#f5c26b", position=2)
    for n, (due, sku) in enumerate([(days(50), 1), (None, 2), (days(5), 3)]):
        supply = production(organisation, sku=sku, due=due, number=f"13{n:02d}", manufacturer="Bolide")
        supply.line_item.product_name = ["Harbor Linen Shirt", "Field Overshirt", "Knit L/S Sweater"][n]
        supply.line_item.current_stage, supply.line_item.stage_status = sewing, "in_progress"
        supply.line_item.save()
        demand(organisation, sku=sku, units=4 + n, customer=rosa, order_number=f"11{n:02d}")
    for n in range(30):
        CustomerFactory(organisation=organisation, name=f"Shop {n:02d}", is_active=n % 7 != 0)
    demand_links_rebuild(organisation=organisation)
    return user, rosa


def test_customer_pages_in_a_browser(live_server, artifacts_dir, chromium_browser):
    user, rosa = scene()
    cookie = session_cookie(user, live_server)
    browser = chromium_browser
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.context.add_cookies([cookie])
    page.goto(f"{live_server.url}/customers/")
    assert page.get_by_role("link", name="Rosa Stork").is_visible()
    # Typing filters the list in place (htmx) and puts the filter in the URL.
    page.get_by_label("Search").fill("rosa")
    page.wait_for_url("**/customers/?*q=rosa*")
    assert page.locator("#customer-results tbody tr").count() == 1
    assert page.locator("#customer-results").get_by_text("2 at risk").is_visible()
    page.screenshot(path=str(artifacts_dir / "customers-list.png"), full_page=True)

    page.get_by_role("link", name="Rosa Stork").click()
    page.wait_for_url(f"**/customers/{rosa.uphance_id}/")
    assert page.get_by_text("Ana Berg").is_visible() and page.get_by_text("Cora Agencies").is_visible()
    chip = page.locator("a.stage-chip").first
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(137, 215, 202)"
    page.screenshot(path=str(artifacts_dir / "customer-detail.png"), full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies([cookie])
    phone.goto(f"{live_server.url}/customers/{rosa.uphance_id}/")
    phone.screenshot(path=str(artifacts_dir / "customer-detail-390.png"), full_page=True)
    assert phone.get_by_text("SO 1100").is_visible()
    # The sales orders fit a phone: nothing in the page content scrolls sideways.
    assert phone.evaluate("document.querySelector('main').scrollWidth") <= 390


def test_the_pager_loads_the_next_page_in_place_and_keeps_the_url(live_server, artifacts_dir, chromium_browser):
    user, rosa = scene()
    for n in range(30, 70):
        CustomerFactory(organisation=rosa.organisation, name=f"Shop {n:02d}")
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    page.context.add_cookies([session_cookie(user, live_server)])
    page.goto(f"{live_server.url}/customers/?q=shop")
    page.evaluate("window.__samePage = true")
    page.locator(".pager").get_by_role("link", name="Next →").click()
    page.wait_for_url("**/customers/?q=shop&page=2")
    page.locator("#customer-results").get_by_text("Page 2 of 2").wait_for()
    assert page.evaluate("window.__samePage") is True  # htmx swapped the results, no reload
    assert page.locator("#customer-results").count() == 1
    assert page.get_by_label("Search").input_value() == "shop"
    # The production the customer waits on shows the customer, linked back.
    supply = rosa.demand_links.filter(is_allocated=True).select_related("production_order").first()
    page.goto(f"{live_server.url}/orders/{supply.production_order.uphance_id}/")
    section = page.locator(".waiting-customers")
    assert section.get_by_role("link", name="Rosa Stork").is_visible()
    page.screenshot(path=str(artifacts_dir / "order-customers-waiting.png"), full_page=True)
