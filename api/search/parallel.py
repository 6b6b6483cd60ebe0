"""The token columns of many texts, made in worker processes while the caller goes on.

Tokenising is the largest part of a bulk load's CPU (the pinyin initials of each distinct title
cost ~0.2 ms, and a province has ~100,000 distinct site, team and event names and bodies). The
bulk loader hands every distinct text to a pool of processes as soon as its rows are built,
writes the rows and occurrences meanwhile, and then makes the index entries from the answers:
``memo()`` is a ``Memo`` holding them, used by the same ``entry`` as ever, so the entries are the
ones one process makes (the tokenizer is a pure function of the text).

Small batches are tokenised in the caller (starting a process costs ~0.5 s of CPU for its imports).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor

from api.search.index import Memo, columns_of

CHUNK = 2_000  # texts of each kind per task: a few hundred ms of work
MIN_TEXTS = 10_000  # fewer: tokenised in the caller (the city demo has ~4,000)
MAX_WORKERS = 4


class Tokenising:
    """Distinct titles and bodies sent to worker processes at once; ``memo()`` waits for them."""

    def __init__(self, titles: Iterable[str], bodies: Iterable[str]) -> None:
        self._titles, self._bodies = list(dict.fromkeys(titles)), list(dict.fromkeys(bodies))
        self._pool: ProcessPoolExecutor | None = None
        self._tasks: list[tuple[int, Future]] = []
        if len(self._titles) + len(self._bodies) < MIN_TEXTS:
            return
        # spawn, not fork: the parent has threads (SQLite's connection), and a forked child
        # inherits their locks as they were.
        self._pool = ProcessPoolExecutor(min(os.cpu_count() or 1, MAX_WORKERS), mp_context=multiprocessing.get_context("spawn"))
        for start in range(0, max(len(self._titles), len(self._bodies)), CHUNK):
            end = start + CHUNK
            self._tasks.append((start, self._pool.submit(columns_of, self._titles[start:end], self._bodies[start:end])))

    async def memo(self) -> Memo:
        """A memo holding every text's columns (made here if no workers were started)."""
        if self._pool is None:
            return Memo()
        titles: dict[str, tuple[int, str, str, str]] = {}
        bodies: dict[str, str] = {}
        try:
            for start, task in self._tasks:
                title_columns, body_columns = await asyncio.wrap_future(task)
                end = start + CHUNK
                titles.update(zip(self._titles[start:end], title_columns))
                bodies.update(zip(self._bodies[start:end], body_columns))
        finally:
            self.close()
        return Memo(titles=titles, bodies=bodies)

    def close(self) -> None:
        """Stop the workers (after ``memo``, or when the load fails before it)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
