"""The conformance kit for every installed backend other than the reference "py".

One `BackendConformance` subclass is made per registered backend at
collection time. An available backend runs the whole battery; a registered
but unavailable one skips with the registry's reason; with no other backend
installed, a single test skips saying so.
"""

from __future__ import annotations

import pytest

from graft.plugins import backends
from graft.testing.backend import BackendConformance

_REGISTRY = backends()
_OTHERS = [name for name in _REGISTRY.names() if name != "py"]
_AVAILABLE = [name for name in _OTHERS if _REGISTRY.is_available(name)]
_UNAVAILABLE = {
    name: _REGISTRY.unavailable_reason(name) for name in _OTHERS if name not in _AVAILABLE
}

for _name in _AVAILABLE:
    _cls = f"TestBackend_{_name}"
    globals()[_cls] = type(_cls, (BackendConformance,), {"backend": _name, "__module__": __name__})


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
