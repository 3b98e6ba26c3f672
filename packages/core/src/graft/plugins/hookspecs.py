"""The hooks a graft plugin can implement: this module is the plugin contract.

A plugin is a module (or any object) named by an entry point in group
``graft`` of its distribution::

    [project.entry-points.graft]
    myplug = "my_plugin.plugin"

The module declares the plugin API it was written against and defines
module-level functions named exactly like the hooks below. Decorating them with
``graft.plugins.hookimpl`` is allowed but not needed. An implementation may
accept only some of a hook's arguments, by name::

    # my_plugin/plugin.py
    GRAFT_PLUGIN_API = "1.0"

    def graft_register_backends(registry):
        registry.register("mine", linker="my_plugin.linker:MyLinker", priority=5)

Rules:

- ``GRAFT_PLUGIN_API = "MAJOR.MINOR"``. graft-core accepts the plugin when the
  majors are equal and the plugin's minor is <= core's
  (``graft.plugins.PLUGIN_API_VERSION``). A module without the attribute is
  taken to declare ``"1.0"``.
- Plugins load on first need (the first ``graft.function``, ``optdb.query``,
  or an explicit ``graft.plugins.load()``), never on ``import graft``. Keep the
  plugin module cheap to import: import heavy libraries inside hooks, or
  better, inside the code that a backend runs only once it is used.
- Hooks are called one plugin at a time, each time with a registry object
  bound to that plugin, so everything registered records the plugin and its
  distribution. Order per plugin: ``graft_add_config``,
  ``graft_register_backends``, ``graft_register_ops``,
  ``graft_register_rewrites``. The built-in plugin (graft-core) goes first;
  the others follow sorted by distribution name, then entry point name.
- A plugin whose import fails, whose API version does not match, or whose
  hook raises is skipped with one :class:`~graft.plugins.PluginWarning`
  (a :class:`~graft.plugins.PluginError` under ``GRAFT_STRICT_PLUGINS=1``);
  whatever it registered is rolled back and the other plugins are unaffected.
- Registering a name another plugin already registered raises
  :class:`~graft.plugins.ConflictError` naming both plugins; the plugin that
  registers second is the one skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from graft.configparser import PluginConfig
    from graft.link.basic import Linker
    from graft.plugins.registry import BackendRegistry, OpRegistry, RewriteRegistry

PROJECT = "graft"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Optional marker for hook implementations (plain ``graft_*`` functions work too).
hookimpl = pluggy.HookimplMarker(PROJECT)

#: Load-time hooks, in the order they are called for each plugin.
LOAD_HOOKS = (
    "graft_add_config",
    "graft_register_backends",
    "graft_register_ops",
    "graft_register_rewrites",
)


@hookspec
def graft_add_config(config: PluginConfig) -> None:
    """Add the plugin's own configuration flags.

    ``config`` is the global :class:`graft.configparser.Config` seen through a
    wrapper that records this plugin as the owner of each flag it adds
    (``python -m graft plugins`` and ``graft.config.flags()`` show it). Prefix
    flag names with the plugin's name and a double underscore; users set them
    with ``GRAFT_FLAGS="myplug__cache=False"`` or ``graft.config.myplug__cache``.
    Adding a flag that exists raises ``ConflictError`` naming both owners.

    Example plugin module::

        GRAFT_PLUGIN_API = "1.0"

        def graft_add_config(config):
            config.add("myplug__cache", "Cache compiled kernels on disk.", True)
            config.add(
                "myplug__level",
                "Optimisation level, 0 to 3.",
                2,
                convert=int,
                validate=lambda v: 0 <= v <= 3,
            )
    """


@hookspec
def graft_register_backends(registry: BackendRegistry) -> None:
    """Register backend descriptors.

    A descriptor is cheap: a name, a priority (``FAST_RUN`` uses the available
    backend with the highest priority), an availability check and the import
    path ``"module:attr"`` of the backend's linker class. Nothing heavy is
    imported here: the linker module is imported by
    ``graft.plugins.backends().load_linker(name)`` when the backend is first
    used. ``available`` is ``None`` (always), a module name that must be
    importable (found without importing it), ``"module:function"`` naming a
    check to import and call, or a callable returning a bool.

    Example plugin module::

        GRAFT_PLUGIN_API = "1.0"

        def graft_register_backends(registry):
            registry.register(
                "numba",
                linker="graft_backend_numba.linker:NumbaLinker",
                priority=20,
                available="numba",
                description="one numba.njit function per graph",
            )
    """


@hookspec
def graft_register_ops(registry: OpRegistry) -> None:
    """Declare the Op classes the plugin provides (for listing and discovery).

    Registering an Op class does not change how it behaves; it tells users and
    tools (``python -m graft plugins``, the conformance suite) which
    distribution an Op comes from.

    Example plugin module::

        GRAFT_PLUGIN_API = "1.0"

        def graft_register_ops(registry):
            from my_plugin.ops import Double, Halve

            registry.register(Double, Halve)
    """


@hookspec
def graft_register_rewrites(registry: RewriteRegistry) -> None:
    """Register rewrites into ``optdb`` or one of its sub-databases.

    ``registry.register(name, rewriter, *tags, db=None, position=None, **kw)``
    forwards to ``optdb.register`` when ``db`` is ``None``, otherwise to the
    sub-database ``optdb[db]`` (a dotted ``db`` such as ``"a.b"`` walks nested
    databases), with the same tags, position and keyword arguments. A plugin
    may register a new sub-database and then rewrites into it by name. The
    registrations reach the databases once all of the plugin's hooks have
    returned, so a plugin that fails leaves ``optdb`` untouched.

    Example plugin module::

        GRAFT_PLUGIN_API = "1.0"

        def graft_register_rewrites(registry):
            from graft.graph.rewriting.basic import node_rewriter

            from my_plugin.ops import Double

            @node_rewriter([Double])
            def double_to_add(fgraph, node):
                (x,) = node.inputs
                return [x + x]

            registry.register("double_to_add", double_to_add, "fast_run", db="canonicalize")
    """


@hookspec
def graft_extend_backend(backend: type[Linker], name: str) -> None:
    """Add implementations of the plugin's own Ops to a backend.

    Called once per backend, when that backend is first used (its linker class
    was just imported by ``load_linker``), for every active plugin. ``backend``
    is the linker class and ``name`` the backend's registered name. A
    code-generating backend (a `graft.link.codegen.CodegenLinker`: ``numba``,
    ``c``, ``jax``) has a ``rules`` table (`graft.link.dispatch.RuleTable`)
    keyed by Op class; each backend documents what its rules return. Check
    ``name`` and return for backends the plugin does not support: an Op
    without a rule still runs, through its Python ``perform``. An exception
    here is reported as a ``PluginWarning`` (an error under
    ``GRAFT_STRICT_PLUGINS=1``) and listed with the plugin; the backend stays
    usable.

    Example plugin module (a rule for the Numba backend, whose rules return
    Python source lines that numba compiles)::

        GRAFT_PLUGIN_API = "1.0"

        def graft_extend_backend(backend, name):
            if name != "numba":
                return
            from my_plugin.ops import Double

            @backend.rules.register(Double, owner="my-plugin")
            def double(node, ins, outs, em):
                return [f"{outs[0]} = 2 * {ins[0]}"]
    """
