"""The pluggy plugin manager for graft (imported only while plugins load)."""

from __future__ import annotations

import inspect

import pluggy

from graft.plugins import hookspecs


class GraftPluginManager(pluggy.PluginManager):
    """Accepts plain ``graft_*`` functions as hook implementations (no marker needed)."""

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith("graft_") and inspect.isroutine(getattr(plugin, name)):
            opts = pluggy.HookimplOpts(
                wrapper=False,
                hookwrapper=False,
                optionalhook=False,
                tryfirst=False,
                trylast=False,
                specname=None,
            )
        return opts


def make_plugin_manager() -> GraftPluginManager:
    """A plugin manager that knows graft's hook specs."""
    pm = GraftPluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm
