"""Testing helpers for graft and for code built on it.

`verify_grad` checks an expression's symbolic gradient against finite
differences. (A backend conformance suite may be added here as well.)
"""

from graft.testing.gradient import GradientError, numeric_grad, verify_grad

__all__ = ["GradientError", "numeric_grad", "verify_grad"]
