import pytest

from integrations.numbers import BIGINT_MAX, ascii_int


@pytest.mark.parametrize("text, expected", [("12", 12), ("0", 0), ("-3", -3), (7, 7), (str(BIGINT_MAX), BIGINT_MAX)])
def test_ascii_integers_are_read(text, expected):
    assert ascii_int(text) == expected


@pytest.mark.parametrize(
    "text", ["²", "①", "¹²³", "١٢", " 12", "12 ", "+12", "1e30", "Infinity", "1.5", "", "-", True, 1.0, None,
             "1" * 20, str(BIGINT_MAX + 1), [1], {"a": 1}],
)
def test_anything_else_is_none(text):
    assert ascii_int(text) is None


def test_bounds():
    assert ascii_int("5", minimum=1) == 5
    assert ascii_int("0", minimum=1) is None
    assert ascii_int("11", maximum=10) is None
