"""Written against a plugin API this core does not provide."""

GRAFT_PLUGIN_API = "2.0"


def graft_register_backends(registry):
    registry.register("future", linker="future_plugin:Linker")
