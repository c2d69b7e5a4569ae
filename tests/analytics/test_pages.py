"""Analytics pages and CSVs: who may see them, the same numbers in table, chart data and CSV, filters
in the URL, bad input answered with a message (page) or 400 (CSV), and only the organisation's data."""
import csv
import io
import json
import re

import pytest

from tests.support.factories import ManufacturerFactory
from tests.support.history_data import day

pytestmark = pytest.mark.django_db

PAGES = ["/analytics/manufacturers/", "/analytics/stages/", "/analytics/flow/", "/analytics/forecasts/"]
CSVS = ["/analytics/manufacturers.csv", "/analytics/stages.csv", "/analytics/flow.csv", "/analytics/throughput.csv",
        "/analytics/aging.csv", "/analytics/forecasts.csv"]


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _json(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_pages_need_login_and_a_manager(client, viewer_user, history):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(viewer_user)
    for url in PAGES + CSVS:
        assert client.get(url).status_code == 403


def test_every_page_and_csv_renders_for_managers_and_owners(logged_in_client, admin_client_org, history):
    for client in (logged_in_client, admin_client_org):
        for url in PAGES + [f"/analytics/manufacturers/{history.adine.id}/"]:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert 'src="/static/vendor/echarts/echarts.min.js"' in html
            assert "<script>" not in html  # no inline scripts: data travels in json_script
        for url in CSVS + [f"/analytics/manufacturers/{history.adine.id}/trends.csv"]:
            assert client.get(url).status_code == 200, url
    assert 'href="/analytics/manufacturers/"' in logged_in_client.get("/board/").content.decode()  # nav entry


def test_scorecard_table_chart_and_csv_agree(logged_in_client, history):
    html = logged_in_client.get("/analytics/manufacturers/").content.decode()
    row = re.search(rf'<tr data-manufacturer-id="{history.adine.id}">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    assert cells[:8] == ["1", "Adine Undone", "4", "50.0%", "25.0%", "1.5", "4.4", "0.0"]
    chart = _json(html, "ontime-data")
    assert chart["manufacturers"][0] == {"name": "Adine Undone", "ranked": True, "pos_received": 4,
                                         "on_time_pct": 50.0, "on_time_original_pct": 25.0, "median_days_late": 1.5}
    rows = _csv(logged_in_client.get("/analytics/manufacturers.csv"))
    assert rows[0] == ["manufacturer", "pos_received", "on_time_pct", "on_time_original_pct", "median_days_late",
                       "p90_days_late", "median_slip_days"]
    assert rows[1] == ["Adine Undone", "4", "50.0", "25.0", "1.5", "4.4", "0.0"]
    assert rows[2] == ["Kotka Knits", "2", "50.0", "50.0", "1.0", "1.8", "0.0"]


def test_stages_page_table_and_csv_take_the_same_filters(logged_in_client, history):
    query = f"manufacturer={history.kotka.id}&by=manufacturer"
    html = logged_in_client.get(f"/analytics/stages/?{query}").content.decode()
    chart = _json(html, "stages-data")
    assert [(r["stage"], r["count"], r["median"]) for r in chart["stages"]] == [("Cutting", 2, 2.0), ("Sewing", 1, 8.0)]
    rows = _csv(logged_in_client.get(f"/analytics/stages.csv?{query}"))
    assert rows[1:] == [["Cutting", "", "2", "2.0", "2.8"], ["Cutting", "Kotka Knits", "2", "2.0", "2.8"],
                        ["Sewing", "", "1", "8.0", "8.0"], ["Sewing", "Kotka Knits", "1", "8.0", "8.0"]]


def test_flow_csv_is_the_charts_data(logged_in_client, history):
    html = logged_in_client.get("/analytics/flow/?window=180").content.decode()
    chart = _json(html, "cfd-data")
    rows = _csv(logged_in_client.get("/analytics/flow.csv?window=180"))
    from_csv = {(d, s): (int(n), int(u)) for d, s, n, u in rows[1:]}
    for stage in chart["stages"]:
        for i, d in enumerate(chart["days"]):
            assert from_csv[(d, stage["name"])] == (stage["line_items"][i], stage["units"][i])
    assert from_csv[(day(30).isoformat(), "Sewing")] == (2, 30)
    assert len(chart["days"]) == 180


def test_filters_live_in_the_url_and_htmx_gets_the_content(logged_in_client, history):
    response = logged_in_client.get(f"/analytics/manufacturers/?window=365&season={history.ss26.id}",
                                    HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="analytics-filters"' in html
    assert f"window=365&amp;season={history.ss26.id}" in html  # links keep the filters


def test_bad_input_is_a_message_on_the_page_and_400_for_a_csv(logged_in_client, history):
    response = logged_in_client.get("/analytics/manufacturers/?window=7&from=2026-02-30&manufacturer=x")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters were not understood" in html and "(90 days)" in html
    for url in CSVS:
        response = logged_in_client.get(f"{url}?from=2026-13-01&to=2026-01-01")
        assert response.status_code == 400, url
    assert logged_in_client.get("/analytics/flow/?from=2026-03-05&to=2026-03-01").status_code == 200


def test_another_organisations_data_never_appears(logged_in_client, history, other_history):
    rows = _csv(logged_in_client.get("/analytics/manufacturers.csv"))
    assert [r[:2] for r in rows[1:]] == [["Adine Undone", "4"], ["Kotka Knits", "2"], ["Lone Loom", "0"]]
    rows = _csv(logged_in_client.get("/analytics/stages.csv"))
    assert rows[1] == ["Cutting", "", "5", "3.0", "5.2"]
    flow = {(d, s): (n, u) for d, s, n, u in _csv(logged_in_client.get("/analytics/flow.csv"))[1:]}
    assert flow[(day(30).isoformat(), "Sewing")] == ("2", "30")
    # Their manufacturer's page is not found; their ids in a filter are ignored and said so.
    assert logged_in_client.get(f"/analytics/manufacturers/{other_history.adine.id}/").status_code == 404
    html = logged_in_client.get(f"/analytics/manufacturers/?manufacturer={other_history.adine.id}").content.decode()
    assert "Some filters were not understood" in html
    assert logged_in_client.get(f"/analytics/stages.csv?manufacturer={other_history.adine.id}").status_code == 400


def test_manufacturer_page_shows_its_trends(logged_in_client, history):
    html = logged_in_client.get(f"/analytics/manufacturers/{history.adine.id}/").content.decode()
    assert "Adine Undone" in html and 'id="trend-table"' in html
    chart = _json(html, "trend-data")
    assert len(chart["labels"]) == len(chart["on_time_pct"]) >= 13  # weeks of a 90-day window
    rows = _csv(logged_in_client.get(f"/analytics/manufacturers/{history.adine.id}/trends.csv"))
    assert sum(int(r[2]) for r in rows[1:]) == 4


def test_board_links_a_manufacturer_to_its_scorecard(logged_in_client, history):
    html = logged_in_client.get("/board/?group=manufacturer&status=any").content.decode()
    assert f'href="/analytics/manufacturers/{history.adine.id}/"' in html


def test_a_manufacturer_without_data_is_not_listed(logged_in_client, history):
    quiet = ManufacturerFactory(organisation=history.organisation, name="Quiet Mill")
    html = logged_in_client.get("/analytics/manufacturers/").content.decode()
    assert f'data-manufacturer-id="{quiet.id}"' not in html and "Quiet Mill" in html  # a filter choice only
