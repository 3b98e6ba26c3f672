"""A working plugin: a config flag, two backends, an Op, a rewrite, a backend extension."""

GRAFT_PLUGIN_API = "1.0"

EXTENDED = []


class DoubleOp:
    """Stands for an Op class the plugin provides."""


class Rewriter:
    """Stands for a rewriter object."""


def graft_add_config(config):
    config.add(
        "good__level", "Optimisation level of the good backend.", 1, validate=lambda v: 0 <= v <= 3
    )


def graft_register_backends(registry):
    registry.register(
        "good", linker="good_plugin.linker:GoodLinker", priority=7, description="test backend"
    )
    registry.register(
        "good_missing",
        linker="good_plugin.linker:GoodLinker",
        priority=99,
        available="no_such_module_for_graft_tests",
    )


def graft_register_ops(registry):
    registry.register(DoubleOp)


def graft_register_rewrites(registry):
    import os

    if os.environ.get("GOOD_PLUGIN_REWRITES") == "fake":  # only where the db is a FakeDB
        registry.register("good_db", __import__("fakedb").FakeDB(()), "fast_run", position=1.7)
        registry.register("good_rw", Rewriter(), "fast_run", "good", db="good_db")
        registry.register("good_canon", Rewriter(), db="canonicalize")


def graft_extend_backend(backend, name):
    EXTENDED.append((name, backend.__name__))
