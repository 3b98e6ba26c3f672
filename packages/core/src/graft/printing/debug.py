"""`debugprint` / `dprint`: an indented tree view of a graph."""

from __future__ import annotations

import sys
from io import StringIO
from typing import Any, TextIO

from graft.graph.basic import Apply, Constant, Variable


def _char_id(n: int) -> str:
    # 0 -> A, 25 -> Z, 26 -> BA, ... (base 26 with A as zero).
    s = ""
    while True:
        s = chr(ord("A") + n % 26) + s
        n //= 26
        if n == 0:
            return s


def _roots(obj: Any) -> list[Variable]:
    from graft.graph.fg import FunctionGraph

    if isinstance(obj, Variable):
        return [obj]
    if isinstance(obj, Apply):
        return list(obj.outputs)
    if isinstance(obj, FunctionGraph):
        return list(obj.outputs)
    maker = getattr(obj, "maker", None)
    if maker is not None and hasattr(maker, "fgraph"):
        return list(maker.fgraph.outputs)
    fg = getattr(obj, "fgraph", None)
    if fg is not None:
        return list(fg.outputs)
    if isinstance(obj, list | tuple):
        out: list[Variable] = []
        for o in obj:
            out.extend(_roots(o))
        return out
    raise TypeError(
        f"dprint cannot print {type(obj).__name__}: expected a Variable, Apply, "
        "FunctionGraph, Function or a list of them"
    )


def _inner_graph(op: Any) -> tuple[list[Variable], list[Variable]] | None:
    """``(inner_inputs, inner_outputs)`` of an Op that holds a graph (OpFromGraph, IfElse
    branches, loops), else None. Ops expose them as attributes of those names."""
    ins = getattr(op, "inner_inputs", None)
    outs = getattr(op, "inner_outputs", None)
    if isinstance(ins, list | tuple) and isinstance(outs, list | tuple):
        return list(ins), list(outs)
    return None


def debugprint(
    obj: Any,
    depth: int = -1,
    print_type: bool = False,
    file: TextIO | str | None = None,
    ids: str = "CHAR",
    stop_on_name: bool = False,
    done: dict[Any, str] | None = None,
    print_view_map: bool = False,
    print_destroy_map: bool = False,
    print_inner_graphs: bool = True,
) -> Any:
    """Print the graph(s) of ``obj`` as an indented tree, one line per variable.

    A computed variable prints as ``op [id X] 'name'`` with its inputs indented
    below behind `` |``; a node seen before prints once more with its id but
    without its inputs. ``file="str"`` returns the text instead of printing.

    Ops that hold graphs (those with ``inner_inputs``/``inner_outputs``, such
    as `OpFromGraph`) get an ``Inner graphs:`` section after the main tree:
    each such node's line, then its inner outputs' trees behind `` >``, where
    inner input ``k`` prints as ``*k-<name or type>``. Inner graphs found in
    there are listed too (``print_inner_graphs=False`` leaves the section out).

    Example::

        >>> dprint(add(y, y))
        add [id A] ''
         |y [id B]
         |y [id B]
    """
    out: TextIO = StringIO() if file == "str" else (sys.stdout if file is None else file)  # type: ignore[assignment]
    ids_of: dict[Any, str] = done if done is not None else {}

    def ident(key: Any) -> str:
        if ids == "id":
            return f"[id {id(key)}]"
        if ids == "":
            return ""
        if key not in ids_of:
            ids_of[key] = _char_id(len(ids_of))
        return f"[id {ids_of[key]}]"

    printed: set[Apply] = set()
    holders: list[Apply] = []  # nodes with inner graphs, in the order first printed
    seen_holders: set[Any] = set()

    def node_line(node: Apply, var: Variable | None, type_str: str) -> str:
        op_str = str(node.op)
        if var is None:  # the node as a whole (heading an inner graph)
            return f"{op_str} {ident(node)}{type_str}"
        if len(node.outputs) > 1:
            op_str = f"{op_str}.{var.index}"
        extra = ""
        if print_destroy_map and node.op.destroy_map:
            extra += f" d={dict(node.op.destroy_map)}"
        if print_view_map and node.op.view_map:
            extra += f" v={dict(node.op.view_map)}"
        return f"{op_str} {ident(node)} '{var.name or ''}'{type_str}{extra}"

    def tree(root: Variable, prefix: str, inner_labels: dict[Variable, str] | None) -> None:
        stack: list[tuple[Variable, str, int]] = [(root, prefix, 0)]
        while stack:
            var, pre, level = stack.pop()
            node = var.owner
            type_str = f" <{var.type}>" if print_type else ""
            if inner_labels is not None and var in inner_labels:
                print(f"{pre}{inner_labels[var]} {ident(var)}{type_str}".rstrip(), file=out)
                continue
            if node is None or isinstance(var, Constant):
                print(f"{pre}{var} {ident(var)}{type_str}".rstrip(), file=out)
                continue
            print(f"{pre}{node_line(node, var, type_str)}", file=out)
            if node in printed or (stop_on_name and var.name and level > 0):
                continue
            printed.add(node)
            if print_inner_graphs and _inner_graph(node.op) is not None:
                if node.op not in seen_holders:
                    seen_holders.add(node.op)
                    holders.append(node)
            if depth != -1 and level + 1 >= depth:
                continue
            child_prefix = pre + " |"
            for inp in reversed(node.inputs):
                stack.append((inp, child_prefix, level + 1))

    for root in _roots(obj):
        tree(root, "", None)
    if holders:
        print("", file=out)
        print("Inner graphs:", file=out)
        k = 0
        while k < len(holders):  # inner graphs may hold more: the list grows
            node = holders[k]
            k += 1
            found = _inner_graph(node.op)
            assert found is not None
            inner_ins, inner_outs = found
            labels = {v: f"*{j}-<{v.name or v.type}>" for j, v in enumerate(inner_ins)}
            print("", file=out)
            print(node_line(node, None, ""), file=out)
            for v in inner_outs:
                tree(v, " >", labels)
    if file == "str":
        return out.getvalue()  # type: ignore[attr-defined]
    if file is None:
        out.flush()
        return None
    return file


dprint = debugprint
