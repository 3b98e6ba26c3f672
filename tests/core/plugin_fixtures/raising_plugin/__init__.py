"""Registers a flag, a backend, an Op and a rewrite, then raises: all must be rolled back."""

GRAFT_PLUGIN_API = "1.0"


class RaisingOp:
    pass


def graft_add_config(config):
    config.add("raising__flag", "Rolled back with the plugin.", True)


def graft_register_backends(registry):
    registry.register("raising", linker="raising_plugin:Linker")


def graft_register_ops(registry):
    registry.register(RaisingOp)


def graft_register_rewrites(registry):
    registry.register("raising_rw", object(), "fast_run", db="canonicalize")
    raise RuntimeError("boom in graft_register_rewrites")
