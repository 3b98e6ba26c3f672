"""Calls back into graft.plugins while plugins are loading."""

GRAFT_PLUGIN_API = "1.0"

SEEN = []


def graft_register_backends(registry):
    import graft.plugins

    graft.plugins.ensure_loaded()  # a load in progress: returns at once
    SEEN.append(graft.plugins.backends().names())
    registry.register("reentrant", linker="reentrant_plugin:Linker")
