"""Models shared by the inference tests."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from graft_ppl import Model
from graft_ppl.distributions import Deterministic, HalfCauchy, Normal

Y_SCHOOLS = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA_SCHOOLS = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def eight_schools(centered: bool) -> Model:
    with Model(seed=1) as m:
        mu = Normal("mu", 0.0, 5.0)
        tau = HalfCauchy("tau", 5.0)
        if centered:
            theta = Normal("theta", mu, tau, shape=8)
        else:
            tt = Normal("theta_tilde", 0.0, 1.0, shape=8)
            theta = Deterministic("theta", mu + tau * tt)
        Normal("y", theta, SIGMA_SCHOOLS, observed=Y_SCHOOLS)
    return m


def mc_close(draws: np.ndarray, target: float, k: float = 4.0) -> bool:
    """``draws``' mean (chain, draw) is within ``k`` Monte Carlo standard errors of
    ``target`` (the error from ArviZ's bulk ESS)."""
    import arviz as az

    arr = np.asarray(draws, dtype=float)
    if arr.ndim > 2:  # extra dimensions: independent components, counted as more chains
        arr = np.moveaxis(arr.reshape(*arr.shape[:2], -1), -1, 1).reshape(-1, arr.shape[1])
    ess = float(az.ess(arr))
    se = float(np.std(arr)) / np.sqrt(ess)
    return abs(float(np.mean(draws)) - target) < k * se


@pytest.fixture(autouse=True)
def _quiet_arviz():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        yield


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a longer posterior check (eight schools, 4 x 1000 draws; < 60 s)"
    )
