"""A misspelt hook must not be silently ignored."""

GRAFT_PLUGIN_API = "1.0"


def graft_register_backend(registry):
    registry.register("typo", linker="typo_plugin:Linker")
