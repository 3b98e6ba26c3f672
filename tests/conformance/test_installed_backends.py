"""The conformance kit for every installed backend other than the reference "py".

One `BackendConformance` subclass is made per registered backend at
collection time. An available backend runs the whole battery; a registered
but unavailable one skips with the registry's reason; with no other backend
installed, a single test skips saying so.

``GRAFT_CONFORMANCE_REWRITES="numba=fast_run;c=fast_run,none"`` narrows the
optimizer settings run for some backends (``none`` is no rewriting); the
others run the kit's default, both settings.
"""

from __future__ import annotations

import os

import pytest

from graft.plugins import backends
from graft.testing.backend import BackendConformance

_REGISTRY = backends()
_OTHERS = [name for name in _REGISTRY.names() if name != "py"]
_AVAILABLE = [name for name in _OTHERS if _REGISTRY.is_available(name)]
_UNAVAILABLE = {
    name: _REGISTRY.unavailable_reason(name) for name in _OTHERS if name not in _AVAILABLE
}


def _rewrites_by_backend(spec: str) -> dict[str, tuple[str | None, ...]]:
    out: dict[str, tuple[str | None, ...]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, settings = part.partition("=")
        out[name.strip()] = tuple(
            None if s.strip().lower() == "none" else s.strip() for s in settings.split(",")
        )
    return out


_REWRITES = _rewrites_by_backend(os.environ.get("GRAFT_CONFORMANCE_REWRITES", ""))

for _name in _AVAILABLE:
    _cls = f"TestBackend_{_name}"
    _attrs = {"backend": _name, "__module__": __name__}
    if _name in _REWRITES:
        _attrs["rewrites"] = _REWRITES[_name]
    globals()[_cls] = type(_cls, (BackendConformance,), _attrs)


if _UNAVAILABLE:

    @pytest.mark.parametrize("name", sorted(_UNAVAILABLE))
    def test_unavailable_backend(name: str) -> None:
        pytest.skip(f"backend {name!r} is registered but not available: {_UNAVAILABLE[name]}")


def test_some_backend_besides_py() -> None:
    if not _AVAILABLE:
        pytest.skip(
            "no backend other than the reference 'py' is installed and available "
            f"(registered: {_REGISTRY.names()}); install one (e.g. graft-backend-numba) "
            "to run the conformance kit on it"
        )
    assert "py" not in _AVAILABLE
