GRAFT_PLUGIN_API = "1.0"


def graft_extend_backend(backend):
    raise ValueError(f"cannot extend {backend.__name__}")
