"""The board on a past day (`/board/?as_of=…`): the stage each line item was in at the end of that
day, from its stage history; the CSV alike; what changed since another day."""
import csv
import io
import re

import pytest

from tests.support.history_data import build_history, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db, organisation, clear_cache):
    return build_history(organisation)


def _columns(html: str) -> dict[str, str]:
    names = re.findall(r'<span class="column-name">([^<]+)</span>', html)
    stats = re.findall(r'<span class="column-stats"><strong>([\d,]+)</strong> · ([\d,]+) units</span>', html)
    return {name: f"{n}/{u}" for name, (n, u) in zip(names, stats, strict=True)}


def test_the_board_at_the_end_of_a_past_day(logged_in_client, history):
    """End of T-30: a1 (10 u) had moved from Cutting to Sewing that day, a2 (20 u) was in Sewing since
    T-36, a4 (40 u) was ordered but not started; a3's PO had been received (T-42)."""
    response = logged_in_client.get(f"/board/?as_of={day(30).isoformat()}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="as-of-banner"' in html and f'datetime="{day(30).isoformat()}"' in html
    assert _columns(html) == {"Not started": "1/40", "Cutting": "0/0", "Sewing": "2/30", "No stages": "0/0"}
    assert "<strong>3</strong> line items" in html
    assert "Wrap Dress" in html and "Linen Shirt" in html and "Rib Tank" in html and "Knit Sweater" not in html
    assert re.search(r"Linen Shirt.*?6 d in stage", html, re.S)  # entered T-36 at noon: 6 days by the end of T-30
    assert '<input type="date" id="as-of-day" name="as_of"' in html  # the date picker


def test_the_board_as_of_today_is_todays_board(logged_in_client, history):
    today = _columns(logged_in_client.get("/board/").content.decode())
    as_of = _columns(logged_in_client.get(f"/board/?as_of={day(0).isoformat()}").content.decode())
    assert as_of == today == {"Not started": "1/8", "Cutting": "1/7", "Sewing": "1/50", "No stages": "0/0"}


def test_the_flow_and_the_past_board_agree(logged_in_client, history):
    flow = list(csv.reader(io.StringIO(logged_in_client.get("/analytics/flow.csv").content.decode())))
    by_day = {(d, s): f"{n}/{u}" for d, s, n, u in flow[1:]}
    for ago in (50, 45, 38, 33, 30, 22, 6, 0):
        columns = _columns(logged_in_client.get(f"/board/?as_of={day(ago).isoformat()}").content.decode())
        for stage in ("Cutting", "Sewing"):
            assert columns[stage] == by_day[(day(ago).isoformat(), stage)], (ago, stage)


def test_past_filters_judge_that_day(logged_in_client, history):
    # End of T-6: A4 was due in the warehouse on T-10 and not received until T-5: late then.
    html = logged_in_client.get(f"/board/?as_of={day(6).isoformat()}&late=1").content.decode()
    assert _columns(html)["Cutting"] == "1/40" and "Rib Tank" in html
    html = logged_in_client.get(f"/board/?as_of={day(30).isoformat()}&stage={history.sewing.id}").content.decode()
    assert "<strong>2</strong> line items" in html
    html = logged_in_client.get(f"/board/?as_of={day(30).isoformat()}&waiting=1").content.decode()
    assert "Not applied to a past day: customers waiting" in html


def test_what_changed_since_another_day(logged_in_client, history):
    """From the end of T-45 to the end of T-30. Then: a3 in Cutting (30 u), a2 not started (20 u).
    Since: a1 arrived straight into Sewing (10 u), a2 moved from Not started to Sewing, a4 arrived
    not started (40 u), a3 left with its received PO."""
    html = logged_in_client.get(f"/board/?as_of={day(30).isoformat()}&since={day(45).isoformat()}").content.decode()
    table = re.search(r'<table class="data" id="as-of-changes">(.*?)</table>', html, re.S).group(1)
    rows = {}
    for label, cells in re.findall(r'<tr data-column="([^"]+)">(.*?)</tr>', table, re.S):
        rows[label] = [re.sub(r"<[^>]+>|\s+", " ", c).split("·")[0].strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    # then, arrived, left, now, change
    assert rows["Not started"] == ["1", "1", "1", "1", "0"]
    assert rows["Cutting"] == ["1", "0", "1", "0", "-1"]
    assert rows["Sewing"] == ["0", "2", "0", "2", "+2"]
    assert "Wrap Dress" in html.split('id="as-of-changes"')[1].split("</section>")[0]  # listed as arrived


def test_the_csv_of_a_past_day(logged_in_client, history):
    response = logged_in_client.get(f"/board/export.csv?as_of={day(30).isoformat()}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["As of", "PO number", "Order id"]
    assert sorted((r[6], r[11], r[12]) for r in rows[1:]) == [
        ("Linen Shirt", "in_progress", "Sewing"), ("Rib Tank", "not_started", ""), ("Wrap Dress", "in_progress", "Sewing"),
    ]
    assert logged_in_client.get("/board/export.csv?as_of=2026-02-30").status_code == 400


def test_show_more_on_a_past_day(logged_in_client, history):
    response = logged_in_client.get(
        f"/board/column/?group=stage&swimlane=manufacturer&column=stage-{history.sewing.id}&lane=m-{history.adine.id}"
        f"&offset=1&as_of={day(30).isoformat()}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<article class="card') == 1


def test_a_day_not_understood_is_said_and_the_board_is_todays(logged_in_client, history):
    for bad in ("2026-02-30", "tomorrow", day(-3).isoformat()):
        response = logged_in_client.get(f"/board/?as_of={bad}", follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Board as of:" in html and 'id="as-of-banner"' not in html


def test_another_organisations_history_never_shows(logged_in_client, history, other_organisation):
    build_history(other_organisation)
    html = logged_in_client.get(f"/board/?as_of={day(30).isoformat()}").content.decode()
    assert "<strong>3</strong> line items" in html


def test_what_changed_is_the_same_whichever_way_it_is_counted(logged_in_client, history):
    """Manufacturer lanes count from the daily counts and the spans that began in between; season
    lanes count every span of both days in one pass: the same columns."""
    def table(swimlane):
        html = logged_in_client.get(
            f"/board/?as_of={day(22).isoformat()}&since={day(50).isoformat()}&swimlane={swimlane}").content.decode()
        return re.search(r'<table class="data" id="as-of-changes">(.*?)</table>', html, re.S).group(1)

    assert table("manufacturer") == table("season") == table("none")


def test_each_days_cells_know_their_longest_held_span(history):
    """StageDay.oldest_first_day is the first day of the longest held span in the cell that day."""
    from production.history.models import StageDay, StageSpan

    spans = list(StageSpan.objects.filter(organisation=history.organisation).values_list(
        "stage_id", "state", "manufacturer_id", "first_day", "until"))
    rows = StageDay.objects.filter(organisation=history.organisation)
    assert rows.exists()
    for row in rows:
        holding = [first for stage, state, maker, first, until in spans
                   if (stage, state, maker) == (row.stage_id, row.state, row.manufacturer_id) and first <= row.day < until]
        assert len(holding) == row.line_items
        assert row.oldest_first_day == min(holding), row


@pytest.mark.parametrize("swimlane", ["manufacturer", "none"])
def test_a_past_days_cards_are_the_same_walked_from_the_longest_held(history, swimlane):
    """The walk of a cell starts at its longest held span (StageDay): the same cards as from the oldest."""
    from board.selectors.as_of import as_of_board
    from board.selectors.filters import BoardFilters, board_options
    from production.history.models import StageDay

    options = board_options(organisation=history.organisation)
    filters = BoardFilters(swimlane=swimlane)

    def cards(ago):
        board = as_of_board(organisation=history.organisation, filters=filters, options=options, day=day(ago))
        return [(lane.key, cell.column.key, [c.id for c in cell.cards]) for lane in board.lanes for cell in lane.cells]

    days = (50, 38, 30, 22, 6, 0)
    bounded = {ago: cards(ago) for ago in days}
    StageDay.objects.filter(organisation=history.organisation).update(oldest_first_day=None)
    assert bounded == {ago: cards(ago) for ago in days}
    assert any(ids for ago in days for _lane, _column, ids in bounded[ago])
