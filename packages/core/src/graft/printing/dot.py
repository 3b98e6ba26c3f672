"""Export graphs to Graphviz: `to_dot` (dot source) and `render_dot` (PNG/SVG via ``graphviz``)."""

from __future__ import annotations

from typing import Any

from graft.graph.basic import Constant, Variable, io_toposort
from graft.printing.debug import _roots


def _quote(s: str) -> str:
    # Labels are user text: escape everything dot treats specially.
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(obj: Any, print_type: bool = True, name: str = "graft") -> str:
    """Graphviz dot source for the graph(s) of ``obj`` (a variable, list, FunctionGraph or Function).

    Apply nodes are boxes labelled with their op; variables are ellipses
    (inputs green, constants grey, outputs blue) labelled with their name (or
    value) and, with ``print_type``, their type. Node identifiers are derived
    from positions, never from user-provided names.

    Example::

        print(to_dot(graft.tensor.exp(x) + 1))
    """
    outputs = _roots(obj)
    inputs = getattr(getattr(obj, "maker", obj), "fgraph", obj)
    declared = list(getattr(inputs, "inputs", []))
    nodes = io_toposort(declared, outputs)
    ids: dict[Any, str] = {}

    def vid(v: Variable) -> str:
        if v not in ids:
            ids[v] = f"v{len(ids)}"
        return ids[v]

    lines = [f"digraph {_quote(name)} {{", "  rankdir=TB;"]
    seen: set[Variable] = set()

    def var_line(v: Variable) -> None:
        if v in seen:
            return
        seen.add(v)
        if isinstance(v, Constant):
            label, style = str(v), 'style=filled, fillcolor="#dddddd"'
        elif v.owner is None:
            label, style = v.name or "input", 'style=filled, fillcolor="#c8f0c8"'
        else:
            label, style = v.name or f"{v.owner.op}.{v.index}", ""
        if v in outputs:
            style = 'style=filled, fillcolor="#c8dcf0"'
        if print_type:
            label += f"\n{v.type}"
        lines.append(
            f"  {vid(v)} [shape=ellipse, label={_quote(label)}{', ' + style if style else ''}];"
        )

    for k, node in enumerate(nodes):
        nid = f"n{k}"
        lines.append(f"  {nid} [shape=box, label={_quote(str(node.op))}];")
        for i, inp in enumerate(node.inputs):
            var_line(inp)
            lab = f' [label="{i}"]' if len(node.inputs) > 1 else ""
            lines.append(f"  {vid(inp)} -> {nid}{lab};")
        for out in node.outputs:
            var_line(out)
            lines.append(f"  {nid} -> {vid(out)};")
    for out in outputs:
        var_line(out)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(obj: Any, outfile: str, format: str | None = None, **kwargs: Any) -> str:
    """Render ``obj``'s graph to ``outfile`` (format from its suffix: png, svg, pdf).

    Needs the optional ``graphviz`` Python package and the Graphviz ``dot``
    program; raises ImportError/RuntimeError saying which is missing.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "render_dot needs the 'graphviz' package: pip install 'graft-core[graphviz]'"
        ) from None
    import os

    stem, ext = os.path.splitext(outfile)
    fmt = format or ext.lstrip(".") or "png"
    src = graphviz.Source(to_dot(obj, **kwargs))
    try:
        return str(src.render(filename=stem, format=fmt, cleanup=True))
    except graphviz.ExecutableNotFound as e:
        raise RuntimeError(f"the Graphviz 'dot' program is not installed: {e}") from None
