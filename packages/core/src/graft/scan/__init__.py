"""Loops as graph nodes: `scan` and its helpers, the `Scan` Op, its gradient and rewrites.

Example::

    import graft
    import graft.tensor as gt
    from graft.scan import scan

    x = gt.dvector("x")
    total = gt.dscalar("total")
    cumsum, _ = scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=total)
    f = graft.function([x, total], cumsum)
    f([1.0, 2.0, 3.0], 0.0)            # array([1., 3., 6.])
"""

import sys as _sys
import types as _types
from typing import Any as _Any

from graft.scan.basic import foldl, foldr, map, reduce, scan
from graft.scan.op import Scan, ScanInfo

__all__ = ["Scan", "ScanInfo", "foldl", "foldr", "map", "reduce", "scan"]


class _CallableModule(_types.ModuleType):
    """``graft.scan`` is both this package and the `scan` function (as in PyTensor)."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        return scan(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
