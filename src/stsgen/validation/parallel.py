"""Spreading work over processes while keeping results in input order.

The pool is forked after the parent has built its schema store and CRD registry,
so workers start with them (and any compiled validators) already in memory.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    import multiprocessing  # only for runs large enough to spread

    return "fork" in multiprocessing.get_all_start_methods()


def map_in_order(
    function: Callable[[T], R], tasks: Iterable[T], workers: int
) -> Iterator[R]:
    """Yield ``function(task)`` for each task, in order, using ``workers`` processes.

    At most a few tasks per worker are in flight, so a long input is never held
    in memory whole. With one worker (or no fork) everything runs here.
    """
    if workers <= 1 or not can_fork():
        for task in tasks:
            yield function(task)
        return

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    window = workers * 3
    log.debug("checking with %d processes", workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[R]] = deque()
        for task in tasks:
            pending.append(pool.submit(function, task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
