"""Fails to import."""

import nonexistent_module_for_graft_tests

GRAFT_PLUGIN_API = "1.0"
