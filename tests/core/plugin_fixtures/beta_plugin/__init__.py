GRAFT_PLUGIN_API = "1.0"


def graft_register_rewrites(registry):
    registry.register("shared_rw", object(), "fast_run", db="canonicalize")
