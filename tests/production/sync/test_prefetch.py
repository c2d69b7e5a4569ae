"""The page prefetcher: sequential production, bounded look-ahead, errors handed over in place."""
import threading

import pytest

from production.sync.prefetch import prefetched


def test_yields_everything_in_order():
    assert list(prefetched(iter(range(10)))) == list(range(10))


def test_production_stays_at_most_depth_ahead():
    produced = []
    consumed = []
    gate = threading.Event()

    def pages():
        for i in range(5):
            produced.append(i)
            yield i

    iterator = prefetched(pages(), depth=1)
    consumed.append(next(iterator))
    gate.wait(0.2)
    # One consumed, at most one waiting in the queue and one being produced.
    assert len(produced) <= 3
    consumed.extend(iterator)
    assert consumed == [0, 1, 2, 3, 4]


def test_an_error_while_producing_is_raised_after_the_good_items():
    def pages():
        yield 1
        raise RuntimeError("boom")

    iterator = prefetched(pages())
    assert next(iterator) == 1
    with pytest.raises(RuntimeError, match="boom"):
        next(iterator)


def test_closing_early_stops_the_producer():
    produced = []

    def pages():
        for i in range(1000):
            produced.append(i)
            yield i

    iterator = prefetched(pages())
    next(iterator)
    iterator.close()
    assert len(produced) < 10
