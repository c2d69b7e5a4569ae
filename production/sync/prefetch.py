"""Fetch the next page while the current one is written: network and database time overlap.

Requests stay strictly sequential (one producer thread walks the pages one after another) and
memory stays bounded (at most `depth` pages wait in the queue).
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
_DONE = object()


def prefetched(pages: Iterable[T], *, depth: int = 1) -> Iterator[T]:
    """Yield from `pages`, produced in a background thread up to `depth` items ahead.

    An exception raised while producing (including KeyboardInterrupt) is re-raised in the consumer
    at the point where the failing item would have been; closing the iterator early stops the producer.
    """
    buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce():
        try:
            for item in pages:
                while not stop.is_set():
                    try:
                        buffer.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(("done", _DONE))
        except BaseException as exc:
            buffer.put(("error", exc))
        finally:
            connections.close_all()  # a token refresh may have used the database here

    producer = threading.Thread(target=produce, name="page-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        # Unblock a producer waiting on a full queue, then let it finish its current request.
        try:
            while True:
                buffer.get_nowait()
        except queue.Empty:
            pass
        producer.join(timeout=60)
