"""Every analytics page, CSV and the board on a past day run as many queries with more data."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.services import analytics_rebuild
from production.history.services import stage_history_rebuild
from tests.support.factories import ManufacturerFactory
from tests.support.history_data import day
from tests.support.production_data import make_orders

pytestmark = pytest.mark.django_db


def _urls(history):
    return [
        "/analytics/manufacturers/", f"/analytics/manufacturers/{history.adine.id}/", "/analytics/stages/",
        "/analytics/stages/?by=manufacturer&window=180", f"/analytics/stages/?season={history.ss26.id}",
        "/analytics/flow/", f"/analytics/flow/?manufacturer={history.adine.id}&warehouse={history.w1.id}",
        "/analytics/forecasts/", "/analytics/manufacturers.csv", "/analytics/stages.csv", "/analytics/flow.csv",
        f"/board/?as_of={day(30).isoformat()}", f"/board/?as_of={day(3).isoformat()}&since={day(30).isoformat()}",
    ]


def _counts(client, urls) -> dict[str, int]:
    out = {}
    for url in urls:
        client.get(url)  # sessions, first-use lookups
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        out[url] = len(queries)
    return out


def test_query_counts_do_not_grow_with_the_data(logged_in_client, history):
    urls = _urls(history)
    before = _counts(logged_in_client, urls)
    makers = [history.adine, history.kotka, ManufacturerFactory(organisation=history.organisation, name="New Mill")]
    make_orders(organisation=history.organisation, stages=[history.cutting, history.sewing], manufacturers=makers,
                count=40)
    stage_history_rebuild(organisation=history.organisation)
    analytics_rebuild(organisation=history.organisation)
    after = _counts(logged_in_client, urls)
    assert after == before
