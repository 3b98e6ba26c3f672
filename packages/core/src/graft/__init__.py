"""graft: define, rewrite and compile graphs of tensor operations.

The public surface mirrors Aesara/PyTensor: ``graft.graph`` (the IR),
``graft.graph.rewriting`` (rewriters and databases), ``graft.scalar``,
``graft.tensor``, ``graft.function``, ``graft.grad``, ``graft.shared``,
``graft.dprint`` and ``graft.pprint``. Plugins are loaded lazily (see
``graft.plugins``); importing graft loads none of them.
"""

from graft._version import __version__

from graft import _post_import
import graft.graph.basic
import graft.graph.features
import graft.graph.fg
import graft.graph.rewriting.basic
import graft.graph.rewriting.utils
import graft.scalar
from graft import printing
from graft.configparser import change_flags, config
from graft.printing import dprint, pp, pprint

_post_import.install()


def _load_plugins() -> None:
    # graft.plugins (and what it imports) stays unimported until a flag is missing
    from graft.plugins import ensure_loaded

    ensure_loaded()


# Plugins add their own flags: an unknown flag name loads them first (the plugin
# loader pushes its flags into the config; the config knows nothing of plugins).
config.on_missing_flag(_load_plugins)


def _function(
    inputs: "list[graft.graph.basic.Variable]", output: "graft.graph.basic.Variable"
) -> "graft.compile.Function":
    from graft.compile import function

    return function(inputs, output)


def _optdb() -> "graft.graph.rewriting.db.RewriteDatabase":
    from graft.compile.optdb import optdb

    return optdb


# The graph layer imports nothing above it: what Variable.eval and rewrite_graph
# use from the compile layer is handed down here, imported on first use.
graft.graph.basic.set_eval_compiler(_function)
graft.graph.rewriting.utils.set_default_database(_optdb)

# Heavier parts load on first use, keeping ``import graft`` cheap.
_LAZY = {
    "function": ("graft.compile", "function"),
    "shared": ("graft.compile", "shared"),
    "In": ("graft.compile", "In"),
    "Out": ("graft.compile", "Out"),
    "Mode": ("graft.compile", "Mode"),
    "get_mode": ("graft.compile", "get_mode"),
    "grad": ("graft.gradient", "grad"),
    "jacobian": ("graft.gradient", "jacobian"),
    "hessian": ("graft.gradient", "hessian"),
    "Lop": ("graft.gradient", "Lop"),
    "Rop": ("graft.gradient", "Rop"),
    "tensor": ("graft.tensor", None),
    "gradient": ("graft.gradient", None),
    "compile": ("graft.compile", None),
    "link": ("graft.link", None),
    "testing": ("graft.testing", None),
    "plugins": ("graft.plugins", None),
    # The module is callable: graft.scan(fn, ...) is graft.scan.scan(fn, ...).
    "scan": ("graft.scan", None),
    "ifelse": ("graft.ifelse", None),  # callable too: graft.ifelse(cond, a, b)
    "OpFromGraph": ("graft.compile.builders", "OpFromGraph"),
}


def __getattr__(name: str) -> object:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'graft' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


__all__ = ["change_flags", "config", "dprint", "pp", "pprint", "printing", *_LAZY]
