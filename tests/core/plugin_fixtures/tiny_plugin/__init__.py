"""Copied under several module names; registers a backend named after its module."""

GRAFT_PLUGIN_API = "1.0"


def graft_register_backends(registry):
    registry.register(__name__, linker=f"{__name__}:Linker")
