GRAFT_PLUGIN_API = "1.0"


def graft_register_backends(registry):
    registry.register("fast", linker="gamma_plugin:Linker", priority=9)
