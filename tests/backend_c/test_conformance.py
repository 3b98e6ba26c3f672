"""The backend conformance kit on the C backend (``graft.testing.backend``)."""

from __future__ import annotations

from graft.testing.backend import BackendConformance


class TestCConformance(BackendConformance):
    backend = "c"
