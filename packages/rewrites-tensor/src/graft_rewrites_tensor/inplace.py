"""In-place rewrites: let Elemwise and inc/set-subtensor nodes overwrite an input.

They run after optdb's ``add_destroy_handler`` (position 49.5), which attaches
a `graft.graph.destroyhandler.DestroyHandler` to the graph. Each node is
replaced by its in-place version (same inputs, same output type) only when
the DestroyHandler accepts the result: the overwritten value is needed by no
node that must run later, it is no graph output, and it is no constant or
input the user passed in (unless ``In(..., mutable=True)``). A candidate
first goes through the handler's quick `~DestroyHandler.destroy_obstacle`
check; the replacement is then validated by the handler (and undone if it
objects), and by the graph's other features once per batch.

- `InplaceElemwiseRewriter`: ``Elemwise(op)`` → ``Elemwise(op, {0: i})``
  writing into input ``i``, which must have the output's type (dtype and
  static shape: no broadcasting into it). Values nobody else reads are
  preferred. 0-d outputs are left alone (nothing to save, and NumPy scalars
  are not writable).
- `InplaceIncSubtensorRewriter`: ``IncSubtensor``, ``AdvancedIncSubtensor``
  and ``AdvancedIncSubtensor1`` with ``inplace=True``: ``x[idx] += y``
  updates ``x`` instead of a copy of it.

Tagged ``fast_run`` and ``inplace``: ``Mode(...).excluding("inplace")`` or
``include=['fast_run'], exclude=['inplace']`` compile without them.

Example::

    x = gt.dvector("x")
    f = graft.function([x], gt.exp(gt.cumsum(x)) + 1)
    [str(n.op) for n in f.maker.fgraph.toposort()]
    # ['cumsum{axis=None}', 'Elemwise{Composite{add(exp(i0), 1.0)},inplace}']: exp(.) + 1
    # is written into cumsum's result; x itself is never overwritten
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from graft.graph.basic import Apply, Constant
from graft.graph.destroyhandler import DestroyHandler
from graft.graph.features import ReplaceValidate
from graft.graph.fg import FunctionGraph
from graft.graph.op import Op
from graft.graph.rewriting.basic import GraphRewriter
from graft.graph.utils import InconsistencyError
from graft.scalar.basic import ScalarOp
from graft.tensor.elemwise import Elemwise
from graft.tensor.subtensor import IncSubtensor
from graft.tensor.subtensor_advanced import AdvancedIncSubtensor, AdvancedIncSubtensor1

__all__ = [
    "InplaceElemwiseRewriter",
    "InplaceIncSubtensorRewriter",
    "InplaceProfile",
    "register",
]


@dataclass
class InplaceProfile:
    """What one run of an in-place rewriter did (printed by its ``print_profile``)."""

    name: str
    nodes: int = 0  # nodes that had an in-place candidate
    inplace: int = 0  # replaced by an in-place version
    refused: int = 0  # every candidate refused by the quick check
    rejected: int = 0  # candidates undone because validation failed
    batches: int = 0  # full validations of the graph
    redone: int = 0  # batches another feature objected to, redone one node at a time
    time: float = 0.0
    validate_time: float = 0.0


class _InplaceRewriter(GraphRewriter):
    """Walks the graph once in order; replaces each node by the first acceptable in-place version.

    Each replacement is validated by the DestroyHandler at once (incremental,
    cheap); the other features' ``validate`` (e.g. ``ProtectInputs``, whose
    check walks every destroyer) runs once per batch of ``batch_size``
    replacements, default an eighth of the graph. Should a batch fail there,
    it is undone and redone node by node with ``replace_all_validate``.
    """

    def __init__(self, name: str, batch_size: int | None = None) -> None:
        self.name = name
        self.batch_size = batch_size

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        fgraph.attach_feature(DestroyHandler())  # declined if one is there
        fgraph.attach_feature(ReplaceValidate())

    def candidates(self, fgraph: FunctionGraph, node: Apply) -> list[list[int]]:
        """The input sets ``node`` could overwrite, in order of preference."""
        raise NotImplementedError

    def inplace_op(self, node: Apply, idxs: list[int]) -> Op:
        """The Op computing what ``node.op`` does, overwriting inputs ``idxs``."""
        raise NotImplementedError

    def _replacement(self, node: Apply, op: Op) -> Apply:
        # Same inputs, outputs of the same types: only the Op changes, so the
        # node is built directly (make_node would redo every type check).
        new = Apply(op, list(node.inputs), [o.type() for o in node.outputs])
        trace = getattr(node.tag, "trace", None)
        if trace is not None:
            new.tag.trace = trace
        return new

    def apply(self, fgraph: FunctionGraph, *args: Any, **kwargs: Any) -> InplaceProfile:
        prof = InplaceProfile(self.name or type(self).__name__)
        t0 = time.perf_counter()
        v0 = getattr(fgraph, "validate_time", 0.0)
        dh: DestroyHandler = fgraph.destroy_handler
        nodes = fgraph.apply_nodes
        batch_size = self.batch_size or max(64, len(nodes) // 8)
        batch: list[tuple[Apply, Op]] = []
        start = fgraph.checkpoint()
        for node in fgraph.toposort():
            if node not in nodes:
                continue
            tries = self.candidates(fgraph, node)
            if not tries:
                continue
            prof.nodes += 1
            refused = True
            for idxs in tries:
                if dh.destroy_obstacle(node, idxs) is not None:
                    continue
                refused = False
                op = self.inplace_op(node, idxs)
                new = self._replacement(node, op)
                chk = fgraph.checkpoint()
                fgraph.replace_all(list(zip(node.outputs, new.outputs)), reason=self.name)
                tv = time.perf_counter()
                try:
                    dh.validate(fgraph)
                except InconsistencyError:
                    fgraph.revert(chk)
                    prof.rejected += 1
                    continue
                finally:
                    prof.validate_time += time.perf_counter() - tv
                batch.append((node, op))
                break
            prof.refused += refused
            if len(batch) >= batch_size:
                self._finish_batch(fgraph, start, batch, prof)
                batch = []
                start = fgraph.checkpoint()
        self._finish_batch(fgraph, start, batch, prof)
        prof.time = time.perf_counter() - t0
        prof.validate_time += getattr(fgraph, "validate_time", 0.0) - v0
        return prof

    def _finish_batch(
        self,
        fgraph: FunctionGraph,
        start: int,
        batch: list[tuple[Apply, Op]],
        prof: InplaceProfile,
    ) -> None:
        if not batch:
            return
        prof.batches += 1
        try:
            fgraph.validate()
        except InconsistencyError:
            fgraph.revert(start)
            prof.redone += 1
            for node, op in batch:  # the reverted graph holds these nodes again
                new = self._replacement(node, op)
                try:
                    fgraph.replace_all_validate(
                        list(zip(node.outputs, new.outputs)), reason=self.name
                    )
                except InconsistencyError:
                    prof.rejected += 1
                    continue
                prof.inplace += 1
            return
        prof.inplace += len(batch)

    @classmethod
    def print_profile(cls, stream: TextIO, prof: Any, level: int = 0) -> None:
        blanc = "    " * level
        print(f"{blanc} {cls.__name__} {prof.name}", file=stream)
        print(
            f"{blanc}   nodes={prof.nodes} made in place={prof.inplace} "
            f"refused={prof.refused} rejected by validation={prof.rejected}",
            file=stream,
        )
        print(f"{blanc}   batches validated={prof.batches} redone={prof.redone}", file=stream)
        print(f"{blanc}   time {prof.time:.3f}s (validate {prof.validate_time:.3f}s)", file=stream)


_writes_out: dict[ScalarOp, bool] = {}


def _accepts_out(scalar_op: ScalarOp) -> bool:
    """Whether ``scalar_op.ufunc`` takes ``out=`` (Elemwise's in-place perform needs it)."""
    ok = _writes_out.get(scalar_op)
    if ok is None:
        try:
            f = scalar_op.ufunc
        except Exception:
            f = None
        if isinstance(f, np.ufunc):
            ok = f.nout == 1
        elif f is None:
            ok = False
        else:
            try:
                ok = "out" in inspect.signature(f).parameters
            except (TypeError, ValueError):
                ok = False
        _writes_out[scalar_op] = ok
    return ok


class InplaceElemwiseRewriter(_InplaceRewriter):
    """Makes single-output `Elemwise` nodes write their result into one of their inputs.

    An input qualifies when it has the output's type, is not a constant, and
    appears once among the node's inputs; those read by fewer other nodes are
    tried first. The DestroyHandler decides the rest.

    Example::

        rw = InplaceElemwiseRewriter()
        prof = rw.rewrite(fgraph)          # attaches the DestroyHandler if needed
        InplaceElemwiseRewriter.print_profile(sys.stdout, prof)
    """

    def __init__(self, name: str = "inplace_elemwise", batch_size: int | None = None) -> None:
        super().__init__(name, batch_size)

    def candidates(self, fgraph: FunctionGraph, node: Apply) -> list[list[int]]:
        op = node.op
        if type(op) is not Elemwise or op.inplace_pattern or len(node.outputs) != 1:
            return []
        out = node.outputs[0]
        if out.type.ndim == 0 or not _accepts_out(op.scalar_op):  # type: ignore[attr-defined]
            return []
        ins = node.inputs
        idxs = [
            i
            for i, v in enumerate(ins)
            if v.type == out.type
            and not isinstance(v, Constant)
            and sum(1 for w in ins if w is v) == 1
        ]
        # Fewest readers first: a value nobody else reads can always be reused.
        idxs.sort(key=lambda i: len(fgraph.clients[ins[i]]))
        return [[i] for i in idxs]

    def inplace_op(self, node: Apply, idxs: list[int]) -> Op:
        return Elemwise(node.op.scalar_op, {0: idxs[0]})  # type: ignore[attr-defined]


_INC_OPS = (IncSubtensor, AdvancedIncSubtensor, AdvancedIncSubtensor1)


class InplaceIncSubtensorRewriter(_InplaceRewriter):
    """Sets ``inplace=True`` on inc/set-subtensor nodes, so they update ``x`` without a copy.

    Example::

        InplaceIncSubtensorRewriter().rewrite(fgraph)
    """

    def __init__(self, name: str = "inplace_incsubtensor", batch_size: int | None = None) -> None:
        super().__init__(name, batch_size)

    def candidates(self, fgraph: FunctionGraph, node: Apply) -> list[list[int]]:
        op = node.op
        if not isinstance(op, _INC_OPS) or op.inplace:
            return []
        x = node.inputs[0]
        if x.type.ndim == 0 or isinstance(x, Constant):  # type: ignore[attr-defined]
            return []
        return [[0]]

    def inplace_op(self, node: Apply, idxs: list[int]) -> Op:
        props = {p: getattr(node.op, p) for p in node.op.__props__}
        props["inplace"] = True
        return type(node.op)(**props)


def register(registry: Any) -> None:
    """Register the in-place rewriters into the top-level optdb (after ``add_destroy_handler``).

    Inc/set-subtensor first: overwriting ``x`` there saves a whole copy, so
    they get the first claim on values that several nodes could overwrite.

    Example::

        from graft.compile.optdb import make_optdb
        from graft.plugins import RewriteRegistry

        db = make_optdb(load_plugins=False)
        register(RewriteRegistry(db=db))
        db.__position__["inplace_elemwise"]   # 50.2
    """
    registry.register(
        "inplace_incsubtensor",
        InplaceIncSubtensorRewriter(),
        "fast_run",
        "inplace",
        position=50.1,
    )
    registry.register(
        "inplace_elemwise", InplaceElemwiseRewriter(), "fast_run", "inplace", position=50.2
    )
