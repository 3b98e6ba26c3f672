"""Which values a compiled function must copy so that nothing it returns or stores aliases.

A returned array must not share memory with a shared variable's storage, an
array the caller passed in, a constant of the graph, or another returned
array; a shared variable's new value must not share memory with any of
those either. Copying every output on every call would be safe but costly,
so the decision is made once, at compile time, from the graph:

- every variable has *roots*, the buffers it may share memory with: a
  variable computed without a ``view_map``/``destroy_map`` owns a new buffer
  (it is its own root); a view or in-place output has the roots of the inputs
  it views or overwrites; graph inputs and constants are their own roots;
- before any output is taken, each input's buffer has a status: ``"held"``
  (the caller keeps it: an explicit input, or a default value), ``"lent"``
  (``In(..., borrow=True)``: the caller does not reuse it), ``"kept"`` (a
  shared variable the function does not update, and every constant) or
  ``"free"`` (the old value of a shared variable the function updates);
- outputs are taken in order (user outputs, then update values). A value
  whose roots are all free takes them as they are. Otherwise it is copied
  after each call, except where the user asked for aliasing, as in PyTensor:
  an ``Out(..., borrow=True)`` output may alias a lent input, a kept buffer or
  another borrowed output; an update may take a lent input's buffer.
"""

from __future__ import annotations

from collections.abc import Sequence

from graft.graph.basic import Constant, Variable
from graft.graph.fg import FunctionGraph

__all__ = ["output_roots", "plan_copies"]


def output_roots(fgraph: FunctionGraph) -> list[frozenset[Variable]]:
    """The buffers each of ``fgraph.outputs`` may share memory with (see the module doc)."""
    outputs = fgraph.outputs
    roots: dict[Variable, frozenset[Variable]] = {}
    # Only views (and views of views) get an entry; anything else is its own root.
    for node in fgraph.toposort():
        op = node.op
        if not (op.view_map or op.destroy_map):
            continue
        for o, idxs in [*op.view_map.items(), *op.destroy_map.items()]:
            acc: set[Variable] = set(roots.get(node.outputs[o], ()))
            for i in idxs:
                v = node.inputs[i]
                acc.update(roots.get(v, (v,)))
            roots[node.outputs[o]] = frozenset(acc)
    return [roots.get(v, frozenset((v,))) for v in outputs]


#: Input statuses (see the module doc).
INPUT_STATUSES = ("held", "lent", "kept", "free")

# Who may alias a buffer held by each status: user outputs with borrow=True
# ("borrow") and update values ("update"); plain user outputs may alias nothing.
_EXCUSED: dict[str, frozenset[str]] = {
    "lent": frozenset({"borrow", "update"}),
    "kept": frozenset({"borrow"}),
    "borrow": frozenset({"borrow"}),
    "held": frozenset(),
    "out": frozenset(),
    "update": frozenset(),
}


def plan_copies(
    fgraph: FunctionGraph,
    input_status: Sequence[str],
    borrowed_outputs: Sequence[bool],
) -> list[int]:
    """Positions in ``fgraph.outputs`` whose values must be copied after each call.

    ``input_status[k]`` is one of `INPUT_STATUSES` for ``fgraph.inputs[k]``;
    ``borrowed_outputs`` has one flag per user output (``Out.borrow``); the
    outputs after them are update values.

    Example::

        # x -> [x[1:], x + 1, x + 1]: the view of the input and the second
        # occurrence of x + 1 are copied, the first x + 1 is not.
        plan_copies(fgraph, ["held"], [False, False, False])   # [0, 2]
    """
    holder: dict[Variable, str] = {}
    for v, status in zip(fgraph.inputs, input_status):
        if status not in INPUT_STATUSES:
            raise ValueError(f"input status must be one of {INPUT_STATUSES}, got {status!r}")
        if status != "free":
            holder[v] = status
    n_user = len(borrowed_outputs)
    copies: list[int] = []
    for j, roots in enumerate(output_roots(fgraph)):
        kind = ("borrow" if borrowed_outputs[j] else "out") if j < n_user else "update"
        ok = True
        for r in roots:
            h = holder.get(r)
            if h is None and isinstance(r, Constant):
                h = "kept"
            if h is not None and kind not in _EXCUSED[h]:
                ok = False
                break
        if not ok:
            copies.append(j)  # the copy is a new buffer: it holds nothing
            continue
        for r in roots:
            # Kept buffers stay kept; free and lent ones now belong to this value.
            if holder.get(r) in (None, "lent") and not isinstance(r, Constant):
                holder[r] = kind
    return copies
