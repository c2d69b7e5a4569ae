"""The home page: the connected organisation, its data counts and the ways into the board."""
import pytest

from accounts.models import UphanceConnection
from tests.support.factories import LineItemFactory, ProductionOrderFactory

pytestmark = pytest.mark.django_db


def test_home_shows_the_connected_organisation_its_counts_and_where_to_start(logged_in_client, organisation):
    UphanceConnection.objects.create(organisation=organisation, api_url="http://127.0.0.1:8765",
                                     uphance_organisation_id=35802, access_token="t")
    open_order = ProductionOrderFactory(organisation=organisation)
    ProductionOrderFactory(organisation=organisation, status="complete", status_raw="COMPLETE")
    LineItemFactory(order=open_order, units=30)
    html = logged_in_client.get("/").content.decode()
    assert "Northwind Apparel" in html and "35802" in html
    assert ">2<" in html and ">1<" in html and ">30<" in html  # orders, open orders, units
    assert "late=1" in html and "stuck=1" in html and "at_risk=1" in html


def test_home_says_what_to_do_without_an_organisation(client, db):
    from tests.support.factories import UserFactory

    client.force_login(UserFactory(username="loner"))
    assert "not a member of any organisation" in client.get("/").content.decode()
