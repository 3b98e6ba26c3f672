"""ArviZ `InferenceData` from the samplers' arrays.

Example::

    idata = to_inference_data({"mu": np.zeros((4, 100))}, {"diverging": np.zeros((4, 100), bool)},
                              observed={"y": y}, samplers={"mu": "NUTS"})
    idata.posterior["mu"]         # dims (chain, draw)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["to_inference_data"]


def _dims(name: str, arr: np.ndarray, lead: int) -> list[str]:
    return [f"{name}_dim_{i}" for i in range(arr.ndim - lead)]


def to_inference_data(
    posterior: Mapping[str, np.ndarray],
    sample_stats: Mapping[str, np.ndarray] | None = None,
    observed: Mapping[str, np.ndarray] | None = None,
    attrs: Mapping[str, Any] | None = None,
    group: str = "posterior",
    extra_groups: Mapping[str, Mapping[str, np.ndarray]] | None = None,
) -> Any:
    """An `arviz.InferenceData` whose ``group`` holds ``posterior`` (arrays of shape
    (chain, draw, *shape)), with sample_stats, observed_data and ``attrs`` (plain values:
    strings, numbers, or dicts of them, stored as text)."""
    import arviz as az
    import xarray as xr

    def dataset(data: Mapping[str, np.ndarray], lead: int) -> Any:
        dvars = {
            k: (["chain", "draw", *_dims(k, np.asarray(v), lead)] if lead else _dims(k, v, 0), v)
            for k, v in data.items()
        }
        return xr.Dataset({k: (d, np.asarray(v)) for k, (d, v) in dvars.items()})

    groups: dict[str, Any] = {group: dataset(posterior, 2)}
    if sample_stats:
        groups["sample_stats"] = dataset(sample_stats, 2)
    if observed:
        groups["observed_data"] = dataset({k: np.asarray(v) for k, v in observed.items()}, 0)
    for name, data in (extra_groups or {}).items():
        groups[name] = dataset(data, 2)
    text_attrs = {
        k: v if isinstance(v, str | int | float) else repr(v) for k, v in (attrs or {}).items()
    }
    for ds in groups.values():
        ds.attrs.update({"inference_library": "graft_ppl", **text_attrs})
    return az.InferenceData(**groups)
