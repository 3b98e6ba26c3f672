"""Fails to import."""

import nonexistent_module_for_graft_tests  # noqa: F401

GRAFT_PLUGIN_API = "1.0"
