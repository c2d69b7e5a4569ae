"""Fixtures of the analytics tests: the known history of tests.support.history_data."""
import pytest

from tests.support.history_data import History, build_history


@pytest.fixture
def history(db, organisation, clear_cache) -> History:
    return build_history(organisation)


@pytest.fixture
def other_history(db, other_organisation) -> History:
    """Another organisation with look-alike data (same names): it must never show."""
    return build_history(other_organisation)
