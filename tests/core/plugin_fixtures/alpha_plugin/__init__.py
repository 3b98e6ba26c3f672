from graft.plugins import hookimpl

GRAFT_PLUGIN_API = "1.0"


@hookimpl
def graft_register_backends(registry):
    registry.register("fast", linker="alpha_plugin:Linker", priority=5)


def graft_register_rewrites(registry):
    registry.register("shared_rw", object(), "fast_run", db="canonicalize")
