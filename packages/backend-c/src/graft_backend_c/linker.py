"""`CLinker`: backend ``c``, the whole rewritten graph as one C extension module.

The shared base (`graft.link.codegen.CodegenLinker`) plans the graph into
segments and asks this backend's rules (`graft_backend_c.rules`) for the C
of each node; `CLinker.assemble` wraps each segment into one ``METH_FASTCALL``
function of a single translation unit, and `CLinker.load` builds it:

- the source goes to graft's private disk cache (`graft.link.diskcache`)
  under the graph's content key, salted with this package's version, the
  compiler's version and flags, NumPy's version and Python's ABI;
- the shared object is built beside it by gcc under the entry's own file
  lock (other entries stay free; a second process waiting on the same entry
  loads what the first built), written atomically, and imported only from
  that user-owned directory; one that fails to import is rebuilt;
- constants and SciPy's BLAS ``dgemm``/``sgemm`` pointers are handed to the
  module once, when it is loaded.

Every variable of a segment is a ``PyObject *`` holding a new reference; a
rule that fails sets a Python exception and jumps to ``fail``, where every
reference is released and the segment is replayed through the Ops'
``perform`` (a Python callable handed to the module at load) to raise the
error that names the Op, the shapes and the user's line. A graph compiled
into one segment is called as that C function itself (it returns the list
of outputs): no Python frame between ``Function.__call__`` and the C code.
Ops without a rule run through their ``perform`` between compiled segments
(one warning per Op class).

Plugins add rules for their own Ops through ``graft_extend_backend``; a rule
returns C statements (see `graft_backend_c.rules`)::

    def graft_extend_backend(backend, name):
        if name == "c":
            backend.rules.register(MyOp, rule=my_c_rule, owner="my-plugin")
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from graft.graph.basic import Apply, Variable
from graft.link.codegen import (
    BackendFallbackWarning,
    CodegenLinker,
    Emitter,
    Segment,
    comment,
    perform_segment,
)
from graft.link.dispatch import RuleTable

if TYPE_CHECKING:
    from graft.graph.fg import FunctionGraph

__all__ = ["RULES", "CLinker"]

RULES: RuleTable[Any] = RuleTable("c")
_MODULE = "graft_cmod"


class CLinker(CodegenLinker):
    """Backend ``c`` (mode ``"C"``); see the module docstring.

    Example::

        f = graft.function([x, y], x * y + 1, mode="C")
    """

    name = "c"
    rules: ClassVar[RuleTable[Any]] = RULES
    source_suffix = ".c"
    # Loops allocate their outputs; in-place variants would buy little here.
    excluded_rewrite_tags = ("inplace",)

    def cache_salt(self) -> tuple[str, ...]:
        from graft_backend_c import __version__
        from graft_backend_c.toolchain import toolchain

        return ("c-backend", __version__, _code_digest(), *toolchain().salt())

    # -- source ------------------------------------------------------------

    def assemble(self, segments: list[Segment], em: Emitter, names: dict[Variable, str]) -> str:
        from graft_backend_c.runtime import prelude
        from graft_backend_c.toolchain import toolchain

        out = [prelude(toolchain().mvec)]
        out.extend(f"static PyObject *{g} = NULL;" for g in em.globals)
        out.append("")
        # Module-level functions rules added (outlined loops, see rules.loops._flat).
        out.extend(em.__dict__.get("c_functions", []))
        out.append("")
        for k, seg in enumerate(segments):
            out.extend(_segment_source(seg, names, k))
        out.extend(_init_source(list(em.globals), segments))
        return "\n".join(out) + "\n"

    # -- build and load ----------------------------------------------------

    def load(
        self, path: Path | None, source: str, segments: list[Segment], em: Emitter
    ) -> list[Any]:
        from graft_backend_c.toolchain import BuildError

        try:
            module = _built_module(path, source)
        except BuildError as exc:
            return [self._compile_failed(seg, exc) for seg in segments]
        init_values = tuple(
            np.asarray(v) if isinstance(v, np.generic) else v for v in em.globals.values()
        )
        # Importing SciPy's BLAS costs ~0.1-0.2 s: only for modules that call gemm.
        uses_blas = "graft_dgemm(&" in source or "graft_sgemm(&" in source
        blas = _blas_capsules() if uses_blas else (None, None)
        module._graft_init(init_values, *blas)
        module._graft_replays = tuple(_replayer(seg) for seg in segments)
        return [getattr(module, seg.entry) for seg in segments]

    def _driver(
        self,
        fgraph: FunctionGraph,
        plan: list[Segment | Apply],
        segments: list[Segment],
        fns: list[Any],
    ) -> Any:
        # One compiled segment returning exactly the graph's outputs: the C function is
        # the whole call path (it returns a new list; its errors replay in C, below).
        if (
            len(plan) == 1
            and segments
            and segments[0].results == list(fgraph.outputs)
            and type(fns[0]).__name__ == "builtin_function_or_method"
        ):
            return fns[0]
        return super()._driver(fgraph, plan, segments, fns)

    def _compile_failed(self, seg: Segment, exc: Exception) -> Any:
        from graft.configparser import config
        from graft.link.basic import UnsupportedOpError

        ops = ", ".join(sorted({str(n.op) for n in seg.nodes}))
        if config.backend_fallback == "raise":
            raise UnsupportedOpError(
                f"backend 'c' could not compile the code generated for {ops}: {exc}"
            ) from exc
        if config.backend_fallback == "warn":
            warnings.warn(
                f"backend 'c' could not compile the code generated for {ops}; these nodes "
                f"run through Python ({str(exc).splitlines()[0]})",
                BackendFallbackWarning,
                stacklevel=6,
            )
        return perform_segment(seg)


@functools.cache
def _code_digest() -> str:
    """A digest of this package's code generators: a change rebuilds cached modules."""
    root = Path(__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _replayer(seg: Segment) -> Any:
    """What a failing segment calls with its exception and arguments: the nodes' own
    ``perform`` raises the error that names the Op, the shapes and the user's line; if
    they all run, the compiled code's error stands, with a note saying so."""
    run = perform_segment(seg)

    def replay(exc: BaseException, *args: Any) -> None:
        run(*args)
        exc.add_note("(graft: the compiled code raised where the Ops' own perform did not)")

    return replay


def _segment_source(seg: Segment, names: dict[Variable, str], index: int) -> list[str]:
    from graft.tensor.type import TensorType
    from graft_backend_c.rules.scalar import CTYPES, typenum

    params = [names[v] for v in seg.params]
    local = list(dict.fromkeys([*params, *(names[o] for n in seg.nodes for o in n.outputs)]))
    out = [
        f"static PyObject *{seg.entry}(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{",
        "    PyObject *res = NULL;",
    ]
    out.extend(f"    PyObject *{v} = NULL;" for v in local)
    out.append(f"    if (nargs != {len(params)}) {{")
    out.append(
        f'        PyErr_Format(PyExc_TypeError, "graft C function: {len(params)} arguments '
        'expected, got %zd", nargs);'
    )
    out.append("        return NULL;")
    out.append("    }")
    for k, (v, p) in enumerate(zip(seg.params, params)):
        t = v.type
        if isinstance(t, TensorType) and t.dtype in CTYPES:
            # A dtype name is one of CTYPES' keys: safe to paste as a C string.
            out.append(
                f'    {p} = graft_arg(args[{k}], {typenum(t.dtype)}, {t.ndim}, {k}, "{t.dtype}");'
            )
            out.append(f"    if ({p} == NULL) goto fail;")
        else:
            out.append(f"    {p} = args[{k}]; Py_INCREF({p});")
    for node, lines in zip(seg.nodes, seg.node_lines):
        out.append(f"    {{ /* {comment(node.op)} */")
        out.extend(f"        {line}" for line in lines)
        out.append("    }")
    results = [names[v] for v in seg.results]
    if results:
        out.append(f"    res = PyList_New({len(results)});")
        out.append("    if (res == NULL) goto fail;")
        for j, r in enumerate(results):
            out.append(f"    PyList_SET_ITEM(res, {j}, Py_NewRef({r}));")
    else:
        out.append("    res = PyList_New(0);")
    out.append("fail:")
    out.append(f"    if (res == NULL) graft_replay(self, {index}, args, nargs);")
    out.extend(f"    Py_XDECREF({v});" for v in local)
    out.append("    return res;")
    out.append("}")
    out.append("")
    return out


def _init_source(globals_: list[str], segments: list[Segment]) -> list[str]:
    out = [
        "static PyObject *graft_init(PyObject *self, PyObject *const *args, Py_ssize_t n) {",
        "    if (n != 3 || !PyTuple_Check(args[0]) "
        f"|| PyTuple_GET_SIZE(args[0]) != {len(globals_)}) {{",
        '        PyErr_SetString(PyExc_TypeError, "graft C module: bad initialisation");',
        "        return NULL;",
        "    }",
    ]
    for k, g in enumerate(globals_):
        out.append(f"    Py_XSETREF({g}, Py_NewRef(PyTuple_GET_ITEM(args[0], {k})));")
    for arg, slot, typ in ((1, "graft_dgemm", "graft_gemm_d"), (2, "graft_sgemm", "graft_gemm_f")):
        out.append(f"    if (PyCapsule_CheckExact(args[{arg}])) {{")
        out.append(
            f"        {slot} = ({typ})PyCapsule_GetPointer(args[{arg}], "
            f"PyCapsule_GetName(args[{arg}]));"
        )
        out.append(f"        if ({slot} == NULL) return NULL;")
        out.append("    }")
    out.append("    Py_RETURN_NONE;")
    out.append("}")
    out.append("")
    out.append("static PyMethodDef graft_methods[] = {")
    for seg in segments:
        out.append(
            f'    {{"{seg.entry}", (PyCFunction)(void (*)(void)){seg.entry}, METH_FASTCALL, NULL}},'
        )
    out.append(
        '    {"_graft_init", (PyCFunction)(void (*)(void))graft_init, METH_FASTCALL, NULL},'
    )
    out.append("    {NULL, NULL, 0, NULL}")
    out.append("};")
    # Multi-phase initialisation: every load makes a new module object whose functions
    # are bound to it (their ``self``), so each load keeps its own ``_graft_replays``.
    out.append("static int graft_exec(PyObject *m) { return 0; }")
    out.append("static PyModuleDef_Slot graft_slots[] = {{Py_mod_exec, graft_exec}, {0, NULL}};")
    out.append(
        f'static struct PyModuleDef graft_module = {{PyModuleDef_HEAD_INIT, "{_MODULE}", '
        "NULL, 0, graft_methods, graft_slots};"
    )
    out.append(f"PyMODINIT_FUNC PyInit_{_MODULE}(void) {{")
    out.append("    import_array();")
    out.append("    return PyModuleDef_Init(&graft_module);")
    out.append("}")
    return out


@functools.cache
def _blas_capsules() -> tuple[Any, Any]:
    """SciPy's ``dgemm``/``sgemm`` function pointers (capsules), or Nones without SciPy."""
    try:
        from scipy.linalg import cython_blas
    except ImportError:  # pragma: no cover - scipy is a dependency
        return (None, None)
    capi = cython_blas.__pyx_capi__  # type: ignore[attr-defined]
    return (capi.get("dgemm"), capi.get("sgemm"))


def _owned_by_me(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _import(so: Path) -> Any:
    loader = importlib.machinery.ExtensionFileLoader(_MODULE, str(so))
    spec = importlib.util.spec_from_file_location(_MODULE, so, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _built_module(path: Path | None, source: str) -> Any:
    """The module of ``source``: loaded from the cache, else built (once across processes)."""
    from graft.link.diskcache import entry_lock
    from graft_backend_c.toolchain import toolchain

    tc = toolchain()
    if path is None:
        # No usable cache: build in a private temporary directory, load, remove it.
        tmp = Path(tempfile.mkdtemp(prefix="graft-c-"))
        try:
            src = tmp / "module.c"
            src.write_text(source)
            so = tmp / "module.so"
            tc.build(src, so)
            return _import(so)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    so = path.with_suffix(".so")
    if so.exists() and _owned_by_me(so):
        with contextlib.suppress(ImportError, OSError):
            return _import(so)
    with entry_lock(path):
        if so.exists() and _owned_by_me(so):
            try:
                return _import(so)
            except (ImportError, OSError):
                so.unlink(missing_ok=True)  # corrupt or truncated: build it again
        elif so.exists():
            so.unlink(missing_ok=True)
        tc.build(path, so)
        return _import(so)


def _register_rules() -> None:
    # Importing the rule modules fills RULES (and nothing else).
    import graft_backend_c.rules  # noqa: F401


_register_rules()
