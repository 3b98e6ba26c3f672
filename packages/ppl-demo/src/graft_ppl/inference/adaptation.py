"""Warm-up plan and metric estimates: Stan-like fast / slow / fast windows.

The tuning draws are split into an initial fast interval (step size only),
a series of slow windows doubling in length (the draws of each estimate the
mass matrix, after which the step size adaptation restarts) and a final
fast interval (step size only, under the last metric). `warmup_plan` returns
that schedule as segments; `estimate_metric` turns a window's draws into a
regularised diagonal or dense inverse mass matrix.

Example::

    warmup_plan(1000)   # [(0, 75, False), (75, 100, True), (100, 150, True), ..., (950, 1000, False)]
"""

from __future__ import annotations

import numpy as np

__all__ = ["estimate_metric", "warmup_plan"]


def warmup_plan(
    tune: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25
) -> list[tuple[int, int, bool]]:
    """Segments ``(start, stop, slow)`` covering ``range(tune)``; after each slow one the
    metric is re-estimated from its draws."""
    if tune <= 0:
        return []
    if tune < 20:
        return [(0, tune, False)]
    if init_buffer + base_window + term_buffer > tune:
        init_buffer = int(0.15 * tune)
        term_buffer = int(0.1 * tune)
        base_window = tune - init_buffer - term_buffer
    plan: list[tuple[int, int, bool]] = [(0, init_buffer, False)] if init_buffer else []
    start, width, last = init_buffer, base_window, tune - term_buffer
    while start < last:
        stop = start + width
        # A window that would leave less than twice its length is stretched to the end.
        if stop + 2 * width > last:
            stop = last
        plan.append((start, stop, True))
        start, width = stop, width * 2
    if term_buffer:
        plan.append((last, tune, False))
    return plan


def estimate_metric(draws: np.ndarray, dense: bool) -> np.ndarray:
    """The regularised inverse mass matrix (variances, or the covariance when ``dense``) of
    a window's ``draws`` (n, dim), shrunk towards 1e-3 (times the identity) like Stan."""
    n = draws.shape[0]
    w = n / (n + 5.0)
    shrink = 1e-3 * 5.0 / (n + 5.0)
    if dense:
        cov = np.atleast_2d(np.cov(draws, rowvar=False)) if n > 1 else np.eye(draws.shape[1])
        return w * cov + shrink * np.eye(draws.shape[1])
    var = draws.var(axis=0, ddof=1) if n > 1 else np.ones(draws.shape[1])
    return w * var + shrink
