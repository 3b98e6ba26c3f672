"""Testing helpers for graft and for code built on it.

`verify_grad` checks an expression's symbolic gradient against finite
differences. `graft.testing.backend` is the backend conformance kit: what a
correct backend is, runnable from any repository with plain pytest.
"""

from graft.testing.gradient import GradientError, numeric_grad, verify_grad

__all__ = ["GradientError", "numeric_grad", "verify_grad"]
