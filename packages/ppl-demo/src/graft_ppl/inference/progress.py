"""Progress of several chains: a rich progress bar (or nothing).

Example::

    with ChainProgress(chains=4, total=2000, enabled=True) as bar:
        bar.advance(chain=0, n=100)
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["ChainProgress"]


class ChainProgress:
    """One bar per chain, updated from worker threads; a no-op when disabled or when
    rich is not installed."""

    def __init__(self, chains: int, total: int, enabled: bool, label: str = "Sampling") -> None:
        self._progress: Any = None
        self._tasks: list[Any] = []
        self._lock = threading.Lock()
        self.divergences = [0] * chains
        if not enabled:
            return
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
        except ImportError:  # pragma: no cover - rich is a dependency
            return
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("divergences {task.fields[div]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self._tasks = [
            self._progress.add_task(f"{label} chain {i}", total=total, div=0)
            for i in range(chains)
        ]

    def __enter__(self) -> ChainProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, chain: int, n: int, divergences: int = 0) -> None:
        """``n`` more iterations of ``chain``, ``divergences`` of them divergent."""
        if self._progress is None:
            return
        with self._lock:
            self.divergences[chain] += divergences
            self._progress.update(self._tasks[chain], advance=n, div=self.divergences[chain])
