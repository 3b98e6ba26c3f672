"""The conformance kit on the JAX backend, with its documented exemptions.

`JaxLinker.conformance_xfail` lists the battery parts where JAX's semantics
differ from the reference (subnormals flushed by XLA on CPU, polygamma at edge
orders, boolean masks computed from data); they are strict xfails, so a part
that starts passing fails until its entry is removed.
"""

from __future__ import annotations

from graft_backend_jax.linker import JaxLinker

from graft.testing.backend import BackendConformance


class TestJaxConformance(BackendConformance):
    backend = "jax"
    xfail = JaxLinker.conformance_xfail
