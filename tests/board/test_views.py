"""The board's pages: full page and htmx partials, filters in the URL, export, saved views, live refresh."""
import csv
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from board.models import SavedView
from production.models import Stage
from production.sync.models import SyncRun
from tests.support.factories import (
    ManufacturerFactory,
    MembershipFactory,
    StageFactory,
    UserFactory,
)
from tests.support.production_data import make_orders, staged_line_item

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return response.content.decode()


def test_board_needs_login(client, board_data):
    response = client.get("/board/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_board_page_shows_columns_in_stage_colours_with_counts(logged_in_client, board_data):
    response = logged_in_client.get("/board/")
    assert response.status_code == 200
    html = _text(response)
    assert "<html" in html and 'href="/static/css/board.css"' in html
    names = re.findall(r'<span class="column-name">([^<]+)</span>', html)
    assert names == ["Not started", "Cutting", "Sewing", "Packing", "No stages"]
    assert 'style="background: #973094; color: #ffffff"' in html  # Sewing's header
    assert "<strong>6</strong> line items" in html
    assert "2470_Eighteen" in html and "Stuck" in html and "Late 5 d" in html and "No due date" in html


def test_htmx_gets_the_board_content_only_and_the_url_to_push(logged_in_client, board_data):
    response = logged_in_client.get(f"/board/?swimlane=season&season={board_data.ss26.id}", **HX)
    assert response.status_code == 200
    html = _text(response)
    assert "<html" not in html and 'id="board-filters"' in html
    assert response["HX-Push-Url"] == f"/board/?group=stage&swimlane=season&season={board_data.ss26.id}"
    assert "<strong>2</strong> line items" in html


def test_history_restore_gets_the_full_page(logged_in_client, board_data):
    response = logged_in_client.get("/board/?group=stage", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HX)
    assert "<html" in _text(response)


def test_filters_live_in_the_url(logged_in_client, board_data):
    html = _text(logged_in_client.get(f"/board/?manufacturer={board_data.kotka.id}&swimlane=none"))
    assert "<strong>2</strong> line items" in html and "Knit Wrap" in html and "2470_Eighteen" not in html
    assert f'value="{board_data.kotka.id}" id="id_manufacturer_1" checked' in html
    late = _text(logged_in_client.get("/board/?late=1&swimlane=none"))
    assert "<strong>2</strong> line items" in late


def test_invalid_filter_values_are_ignored_not_fatal(logged_in_client, board_data):
    response = logged_in_client.get(f"/board/?season=nope&season={board_data.ss26.id}&stage_status=bogus&group=x")
    assert response.status_code == 200
    html = _text(response)
    assert "<strong>2</strong> line items" in html  # the valid season still applies
    assert "not understood" in html


def test_swimlanes_switch(logged_in_client, board_data):
    by_maker = _text(logged_in_client.get("/board/?swimlane=manufacturer"))
    assert re.findall(r'<span class="lane-name">([^<]+)</span>', by_maker) == ["Adine Undone", "Kotka Knits"]
    by_season = _text(logged_in_client.get("/board/?swimlane=season"))
    assert re.findall(r'<span class="lane-name">([^<]+)</span>', by_season) == ["AW26", "SS26"]
    no_lanes = _text(logged_in_client.get("/board/?swimlane=none"))
    assert 'class="lane-name"' not in no_lanes


def test_every_htmx_link_also_has_an_href(logged_in_client, board_data):
    for _ in range(20):
        staged_line_item(order=board_data.late_order, stage=board_data.cutting, days_in_stage=1)
    for url in ("/board/?swimlane=none", "/board/?group=manufacturer", "/orders/23670/"):
        html = _text(logged_in_client.get(url))
        for tag in re.findall(r"<a [^>]*hx-get[^>]*>", html):
            assert 'href="' in tag, tag


def test_show_more_loads_the_next_slice(logged_in_client, board_data):
    for n in range(30):
        staged_line_item(order=board_data.future_order, stage=board_data.cutting, days_in_stage=n % 4,
                         product_name=f"Bulk {n}")
    html = _text(logged_in_client.get("/board/?swimlane=none"))
    more = re.search(r'<a class="show-more" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "column=stage-" in more and "offset=15" in more
    partial = logged_in_client.get(more, **HX)
    assert partial.status_code == 200
    body = _text(partial)
    assert "<html" not in body and body.count('<article class="card') == 15 and "data-focus-new" in body
    following = re.search(r'<a class="show-more" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert "offset=30" in following
    last = _text(logged_in_client.get(following, **HX))
    assert last.count('<article class="card') == 1 and "show-more" not in last
    # Without JavaScript the same link is a page of its own.
    page = logged_in_client.get(more)
    assert "<html" in _text(page) and "Next" in _text(page)


def test_show_more_rejects_unknown_columns(logged_in_client, board_data):
    assert logged_in_client.get("/board/column/?column=evil", **HX).status_code == 400
    other = StageFactory()
    assert logged_in_client.get(f"/board/column/?column=stage-{other.id}", **HX).status_code == 400


def test_manufacturer_board(logged_in_client, board_data):
    html = _text(logged_in_client.get("/board/?group=manufacturer"))
    assert "Manufacturer board" in html
    assert re.findall(r'<span class="column-name">([^<]+)</span>', html) == ["Adine Undone", "Kotka Knits"]
    assert "PO 1311" in html and "Least advanced" in html
    assert re.search(r'class="seg" style="width: [\d.]+%; background: #b86f6f"', html)


def _board_queries(client, url, **headers) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code in (200, 204)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/board/", {}),
        ("/board/?swimlane=season", {}),
        ("/board/?swimlane=none&late=1&q=B", HX),
        ("/board/?swimlane=manufacturer&manufacturer={maker}&stage_status=in_progress&stuck=1&late=1&q=Style", HX),
        ("/board/?swimlane=manufacturer&waiting=1", HX),
        ("/board/?status=any&delivery_status=not_received", HX),
        ("/board/?group=manufacturer", {}),
        ("/board/column/?group=stage&swimlane=none&column=not_started&offset=0", HX),
        ("/board/column/?group=stage&swimlane=manufacturer&column=stage-{stage}&lane=m-{maker}&offset=1", HX),
        ("/board/column/?group=manufacturer&column=m-{maker}&offset=1", HX),
        ("/board/export.csv?swimlane=none", {}),
        ("/orders/500000/", {}),
        ("/board/live/?v=0", {}),
    ],
)
def test_board_queries_do_not_grow_with_the_number_of_orders(
    logged_in_client, organisation, clear_cache, django_assert_num_queries, url, headers
):
    stages = [StageFactory(organisation=organisation, name=n, position=i) for i, n in enumerate("ABC")]
    makers = [ManufacturerFactory(organisation=organisation) for _ in range(3)]
    url = url.format(maker=makers[0].id, stage=stages[0].id)
    make_orders(organisation=organisation, stages=stages, manufacturers=makers, count=5)
    few = _board_queries(logged_in_client, url, **headers)
    make_orders(organisation=organisation, stages=stages, manufacturers=makers, count=45, start_id=600000)
    cache.clear()
    with django_assert_num_queries(few):
        response = logged_in_client.get(url, **headers)
        assert response.status_code in (200, 204)


def test_export_streams_csv_of_the_filtered_board_and_defuses_formulas(logged_in_client, board_data):
    board_data.items["cutting"].product_name = "=HYPERLINK(\"http://evil\")"
    board_data.items["cutting"].colour = "+cmd"
    board_data.items["cutting"].save()
    response = logged_in_client.get(f"/board/export.csv?season={board_data.ss26.id}")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    by_product = {row[header.index("Product")]: row for row in body}
    assert "'=HYPERLINK(\"http://evil\")" in by_product
    assert by_product["'=HYPERLINK(\"http://evil\")"][header.index("Colour")] == "'+cmd"
    assert by_product["2470_Eighteen"][header.index("Current stage")] == "Sewing"


# \0 itself cannot be stored on PostgreSQL; tests/integrations/test_spreadsheets.py covers it.
@pytest.mark.parametrize("name", ["\x01=1+1", "  =1+1", "\t=1+1", "＝1+1", "＋1", "－1", "＠SUM(A1)"])
def test_export_defuses_formulas_behind_control_characters_spaces_and_full_width_signs(
    logged_in_client, board_data, name
):
    board_data.items["cutting"].product_name = name
    board_data.items["cutting"].save()
    response = logged_in_client.get(f"/board/export.csv?season={board_data.ss26.id}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    products = [row[rows[0].index("Product")] for row in rows[1:]]
    assert "'" + name in products and name not in products


def test_saved_views_save_reopen_default_and_delete(logged_in_client, board_data, user):
    query = f"group=stage&swimlane=none&season={board_data.ss26.id}"
    response = logged_in_client.post("/board/views/", {"name": "SS26 only", "query": query})
    assert response.status_code == 302 and response["Location"] == f"/board/?{query}"
    view = SavedView.objects.get(user=user, name="SS26 only")
    html = _text(logged_in_client.get(f"/board/?{query}"))
    assert 'class="view-chip is-current"' in html and "SS26 only" in html
    # Default: a bare /board/ opens it.
    logged_in_client.post(f"/board/views/{view.pk}/default/")
    assert logged_in_client.get("/board/")["Location"] == f"/board/?{query}"
    # Saving under the same name updates it.
    logged_in_client.post("/board/views/", {"name": "SS26 only", "query": "group=stage&swimlane=season"})
    assert SavedView.objects.get(pk=view.pk).query == "group=stage&swimlane=season"
    logged_in_client.post(f"/board/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()
    assert logged_in_client.get("/board/").status_code == 200


def test_one_default_view_at_a_time(logged_in_client, board_data, user):
    logged_in_client.post("/board/views/", {"name": "A", "query": "group=stage", "is_default": "1"})
    logged_in_client.post("/board/views/", {"name": "B", "query": "group=manufacturer", "is_default": "1"})
    assert list(SavedView.objects.filter(user=user, is_default=True).values_list("name", flat=True)) == ["B"]


def test_another_users_saved_view_cannot_be_touched(logged_in_client, board_data, organisation):
    someone = UserFactory(username="someone")
    MembershipFactory(user=someone, organisation=organisation)
    view = SavedView.objects.create(organisation=organisation, user=someone, name="Mine", query="group=stage")
    assert logged_in_client.post(f"/board/views/{view.pk}/delete/").status_code == 404
    assert logged_in_client.post(f"/board/views/{view.pk}/default/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "Mine" not in _text(logged_in_client.get("/board/?group=stage"))


def test_live_poll_answers_204_until_a_sync_finishes(logged_in_client, board_data, organisation):
    html = _text(logged_in_client.get("/board/"))
    poll = re.search(r'id="board-poller" hx-get="([^"]+)"', html).group(1)
    assert logged_in_client.get(poll, **HX).status_code == 204
    run = SyncRun.objects.create(organisation=organisation, kind="production_open", outcome="succeeded",
                                 finished_at=timezone.now(), updated=1)
    changed = logged_in_client.get(poll, **HX)
    assert changed.status_code == 200 and "board-updated" in changed["HX-Trigger"]
    assert f"?v={run.id}" in _text(changed)
    # The board re-fetches itself with its own query string and does not push a history entry.
    assert 'hx-trigger="board-updated from:body"' in html
    refresh = logged_in_client.get("/board/?group=stage&swimlane=manufacturer", HTTP_HX_BOARD_REFRESH="1", **HX)
    assert "HX-Push-Url" not in refresh


def test_untrusted_text_is_escaped_and_bad_colours_never_reach_style(logged_in_client, board_data):
    item = board_data.items["cutting"]
    item.product_name = '<script>alert("x")</script>'
    item.colour = 'red" onmouseover="alert(1)'
    item.save()
    Stage.objects.filter(pk=board_data.packing.pk).update(colour="url(x)")  # junk that fits the column
    html = _text(logged_in_client.get("/board/"))
    assert '<script>alert("x")</script>' not in html
    # Escaped as text (the cards are Jinja2, which writes a quote as &#34; where Django writes &quot;).
    assert re.search(r"&lt;script&gt;alert\((&quot;|&#34;)x(&quot;|&#34;)\)&lt;/script&gt;", html)
    assert "onmouseover=\"alert" not in html
    assert "url(//evil)" not in html
    for style in re.findall(r'style="([^"]*)"', html):
        for colour in re.findall(r"(?:background|color|border-top-color): ([^;]+)", style):
            assert re.fullmatch(r"#[0-9a-f]{3}(?:[0-9a-f]{3})?", colour.strip()), style


def test_no_inline_scripts(logged_in_client, board_data):
    html = _text(logged_in_client.get("/board/"))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "onclick=" not in html


def test_stage_settings_are_for_managers(client, viewer_user, board_data):
    client.force_login(viewer_user)
    assert client.get("/settings/stages/").status_code == 403
    html = _text(client.get("/board/"))
    assert "/settings/stages/" not in html


def test_managers_set_stage_position_and_stuck_threshold(logged_in_client, board_data):
    stages = list(Stage.objects.filter(organisation=board_data.organisation).order_by("position"))
    page = logged_in_client.get("/settings/stages/")
    assert page.status_code == 200 and "Cutting" in _text(page)
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    new_positions = {board_data.cutting.id: 5, board_data.sewing.id: 1, board_data.packing.id: 2}
    for i, stage in enumerate(stages):
        data[f"form-{i}-id"] = stage.id
        data[f"form-{i}-position"] = new_positions[stage.id]
        data[f"form-{i}-stuck_after_days"] = "0.5" if stage.id == board_data.cutting.id else ""
    response = logged_in_client.post("/settings/stages/", data)
    assert response.status_code == 302
    cutting = Stage.objects.get(pk=board_data.cutting.pk)
    assert cutting.position == 5 and cutting.position_locked and float(cutting.stuck_after_days) == 0.5
    assert Stage.objects.get(pk=board_data.sewing.pk).stuck_after_days is None
    html = _text(logged_in_client.get("/board/?swimlane=none"))
    assert re.findall(r'<span class="column-name">([^<]+)</span>', html) == [
        "Not started", "Sewing", "Packing", "Cutting", "No stages",
    ]
    # The Cutting card (1 day in the stage) is now stuck against half a day.
    assert html.count("badge badge-stuck") == 1 + 1


def test_stage_settings_cannot_reach_another_organisations_stage(logged_in_client, board_data):
    other = StageFactory(position=3)
    data = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
            "form-0-id": other.id, "form-0-position": 0, "form-0-stuck_after_days": "1"}
    logged_in_client.post("/settings/stages/", data)
    other.refresh_from_db()
    assert other.position == 3 and other.stuck_after_days is None


def test_navigation_links_the_board(logged_in_client, board_data):
    html = _text(logged_in_client.get(reverse("home")))
    assert 'href="/board/"' in html and 'href="/board/?group=manufacturer"' in html
