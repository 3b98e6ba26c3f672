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
) -> Any:
    """Print the graph(s) of ``obj`` as an indented tree, one line per variable.

    A computed variable prints as ``op [id X] 'name'`` with its inputs indented
    below behind `` |``; a node seen before prints once more with its id but
    without its inputs. ``file="str"`` returns the text instead of printing.

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
    for root in _roots(obj):
        stack: list[tuple[Variable, str, int]] = [(root, "", 0)]
        while stack:
            var, prefix, level = stack.pop()
            node = var.owner
            type_str = f" <{var.type}>" if print_type else ""
            if node is None or isinstance(var, Constant):
                label = str(var)
                print(f"{prefix}{label} {ident(var)}{type_str}".rstrip(), file=out)
                continue
            op_str = str(node.op)
            if len(node.outputs) > 1:
                op_str = f"{op_str}.{var.index}"
            extra = ""
            if print_destroy_map and node.op.destroy_map:
                extra += f" d={dict(node.op.destroy_map)}"
            if print_view_map and node.op.view_map:
                extra += f" v={dict(node.op.view_map)}"
            name = var.name or ""
            print(f"{prefix}{op_str} {ident(node)} '{name}'{type_str}{extra}", file=out)
            if node in printed or (stop_on_name and var.name and level > 0):
                continue
            printed.add(node)
            if depth != -1 and level + 1 >= depth:
                continue
            child_prefix = prefix + " |"
            for inp in reversed(node.inputs):
                stack.append((inp, child_prefix, level + 1))
    if file == "str":
        return out.getvalue()  # type: ignore[attr-defined]
    if file is None:
        out.flush()
        return None
    return file


dprint = debugprint
