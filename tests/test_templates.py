"""Template rules: stage colours reach style= only in _stage_chip.html, and there is one pager."""
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _templates():
    return [p for p in TEMPLATES.rglob("*.html")]


def test_stage_chips_and_dots_are_only_built_in_the_partial():
    offenders = []
    for path in _templates():
        if path.name == "_stage_chip.html":
            continue
        text = path.read_text()
        if re.search(r'class="stage-(chip|dot)"[^>]*style=|style="[^"]*(safe_colour|stage\.colour)', text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_there_is_one_pager():
    pagers = [str(p.relative_to(TEMPLATES)) for p in _templates() if 'class="pager"' in p.read_text()]
    assert pagers == ["_pager.html"]


@pytest.mark.parametrize("colour", ["red", "url(//x)", 'x" onmouseover="alert(1)', "#12345", None, ""])
def test_a_chip_never_puts_a_colour_that_is_not_hex_in_a_style(colour):
    for mode in ({}, {"dot": True}, {"email": True}, {"href": "/x/"}):
        html = render_to_string("_stage_chip.html", {"name": "Sewing <b>", "colour": colour, **mode})
        assert re.findall(r'background:([^;"]+)', html) == ["#9ca3af"]
        assert "<b>" not in html


def test_a_chip_shows_a_valid_colour_with_readable_text():
    html = render_to_string("_stage_chip.html", {"name": "Sewing", "colour": "#973094", "href": "/line-items/1/"})
    assert html == '<a class="stage-chip" href="/line-items/1/" style="background:#973094;color:#ffffff">Sewing</a>'


def test_the_pagers_htmx_attributes_are_set_once_on_the_nav_and_links_keep_their_href():
    class Page:
        number, has_previous, has_next = 2, True, True
        previous_page_number, next_page_number = 1, 3
        paginator = type("P", (), {"num_pages": 3})

    html = render_to_string("_pager.html", {"page": Page(), "query": "q=shop", "target": "#results"})
    nav = re.search(r"<nav[^>]*>", html).group(0)
    assert 'hx-boost="true"' in nav and 'hx-target="#results"' in nav and 'hx-swap="outerHTML"' in nav
    links = re.findall(r"<a [^>]*>", html)
    assert links == ['<a href="?q=shop&amp;page=1">', '<a href="?q=shop&amp;page=3">']
    assert html.count("hx-") == 3
    plain = render_to_string("_pager.html", {"previous_url": "/a/?offset=0", "back_url": "/b/", "back_label": "Back"})
    assert "hx-" not in plain and 'href="/a/?offset=0"' in plain and ">Back</a>" in plain


JINJA = Path(__file__).resolve().parent.parent / "board" / "jinja2"


def test_the_boards_jinja2_cards_put_colours_in_a_style_only_through_the_colour_helper():
    # A value in a style attribute is a validated colour (stage_colour filter, or the card's swatch from
    # board.selectors.swatches.colour_swatch) or a number.
    allowed = re.compile(r"\|stage_colour$|^card\.swatch$|^s\.percent$")
    offenders = []
    for path in JINJA.rglob("*.jinja"):
        for style in re.findall(r'style="([^"]*)"', path.read_text()):
            for expression in re.findall(r"\{\{\s*(.*?)\s*\}\}", style):
                if not allowed.search(expression):
                    offenders.append(f"{path.name}: {expression}")
    assert offenders == []


@pytest.mark.parametrize("colour", ["red", "url(//x)", 'x" onmouseover="alert(1)', "#12345", None, ""])
def test_an_order_card_never_puts_a_colour_that_is_not_hex_in_a_style(colour):
    from django.template import engines

    from board.selectors.manufacturer_board import OrderCard, Segment

    card = OrderCard(id=1, uphance_id=2, number="<b>1</b>", season="SS26", manufacturer="M", expected_date=None,
                     late=None, days_late=0, items=1, units=3, segments=[Segment("Sewing <b>", colour, 3, 1, 100.0)],
                     least_advanced="Sewing <b>", least_advanced_colour=colour, status="Confirmed", delivery_status="")
    html = engines["jinja2"].get_template("board/order_cards.jinja").template.render(
        cards=[card], order_url="/orders/", line_item_url="/line-items/", focus_new=False)
    assert re.findall(r'background: ?([^;"]+)', html) == ["#9ca3af", "#9ca3af"]
    assert "<b>" not in html
