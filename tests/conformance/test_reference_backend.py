"""The conformance kit run for the reference backend "py" itself.

With ``optimizer=None`` this checks the kit's own plumbing (the reference
against itself); with ``"fast_run"`` it checks that graft's rewrites
(fusion, ElemwiseReduce, in-place ops) keep the reference's results.
"""

from graft.testing.backend import BackendConformance


class TestReferenceBackend(BackendConformance):
    backend = "py"
