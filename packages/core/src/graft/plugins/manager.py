"""Loading plugins: the built-in one, then entry points in group ``graft``, once per process.

Nothing here imports ``importlib.metadata`` or ``pluggy`` at module level: they
are imported by the first :func:`ensure_loaded`, so ``import graft`` stays cheap.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

from graft.plugins.errors import PluginError, PluginWarning, warn
from graft.plugins.info import (
    PluginInfo,
    Registered,
    api_mismatch,
    core_version,
)
from graft.plugins.registry import (
    BackendRegistry,
    OpRecord,
    OpRegistry,
    RewriteRecord,
    RewriteRegistry,
)

if TYPE_CHECKING:
    from graft.configparser import Config, PluginConfig
    from graft.link.basic import Linker

ENV_DISABLE_AUTOLOAD = "GRAFT_DISABLE_PLUGIN_AUTOLOAD"
ENV_ALLOW = "GRAFT_PLUGINS"
ENV_DISABLED = "GRAFT_DISABLED_PLUGINS"
ENV_STRICT = "GRAFT_STRICT_PLUGINS"

_PLUGINS_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass
class _Candidate:
    name: str
    dist: str
    version: str
    value: str
    load: Callable[[], object]
    builtin: bool = False


@dataclass
class _Active:
    info: PluginInfo
    impls: dict[str, Any]
    views: _Views


@dataclass
class _Views:
    backends: BackendRegistry
    rewrites: RewriteRegistry
    ops: OpRegistry
    config: PluginConfig

    def rollback(self) -> list[str]:
        self.backends.rollback()
        self.ops.rollback()
        self.config.rollback()
        return self.rewrites.rollback()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _names(value: str | None) -> dict[str, str]:
    """Normalized name -> the name as written."""
    return {_norm(n): n.strip() for n in (value or "").split(",") if n.strip()}


def _where(exc: BaseException) -> str:
    """The innermost frame outside graft.plugins and importlib: usually the plugin's line."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        fn = frame.filename
        if fn.startswith(("<", _PLUGINS_DIR)) or f"{os.sep}importlib{os.sep}" in fn:
            continue
        return f" ({fn}:{frame.lineno})"
    return ""


def _describe(exc: BaseException) -> str:
    # our own errors read as sentences; others keep their type, plus the plugin's line
    kind = "" if isinstance(exc, PluginError) else f"{type(exc).__name__}: "
    return f"{kind}{exc}{_where(exc)}"


def _call(impl: Any, kwargs: Mapping[str, Any]) -> None:
    # an implementation may take any subset of the hook's arguments (pluggy checked the names)
    impl.function(*[kwargs[a] for a in impl.argnames])


class Loader:
    """Loads plugins once and owns the registries they fill.

    ``db`` is the root rewrite database (default: ``graft.compile.optdb.optdb``,
    imported when a rewrite is first registered); ``config`` defaults to
    ``graft.configparser.config``; ``environ`` to ``os.environ``.
    """

    def __init__(
        self,
        *,
        db: Any = None,
        config: Config | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.backends = BackendRegistry()
        self.backends._table.on_first_load = self.extend_backend
        self.rewrites = RewriteRegistry(db)
        self.ops = OpRegistry()
        self._config = config
        self._environ = environ
        self.infos: list[PluginInfo] = []
        self.autoload = True
        self._active: list[_Active] = []
        self._extended: set[str] = set()
        self._state: Literal["new", "loading", "loaded"] = "new"
        self._lock = threading.RLock()
        self._strict_error: str | None = None
        self.pm: Any = None

    @property
    def loaded(self) -> bool:
        """Whether loading finished (successfully or not)."""
        return self._state == "loaded"

    @property
    def env(self) -> Mapping[str, str]:
        """Where the GRAFT_* variables are read (``os.environ`` unless given)."""
        return os.environ if self._environ is None else self._environ

    @property
    def config(self) -> Config:
        """The config plugins add flags to."""
        if self._config is None:
            from graft.configparser import config

            self._config = config
        return self._config

    def ensure_loaded(self) -> None:
        """Load plugins unless done; re-entry from a hook returns at once."""
        if self._state != "loaded":
            with self._lock:  # other threads wait here until loading is done
                if self._state == "new":
                    self._state = "loading"
                    try:
                        self._load()
                    finally:
                        self._state = "loaded"
                elif self._state == "loading":
                    return  # called from inside a hook of this thread's load
        if self._strict_error is not None:
            raise PluginError(self._strict_error)

    def _load(self) -> None:
        from graft.plugins._pluggy import make_plugin_manager

        env = self.env
        self.pm = make_plugin_manager()
        strict = _truthy(env.get(ENV_STRICT))
        # core's own plugin is imported by name, as an entry point's module would be
        builtin = "graft.plugins.builtin"
        candidates = [
            _Candidate(
                "builtin",
                "graft-core",
                core_version(),
                builtin,
                lambda: import_module(builtin),
                True,
            )
        ]
        self.autoload = not _truthy(env.get(ENV_DISABLE_AUTOLOAD))
        if self.autoload:
            candidates += self._entry_points()
        allow, deny = _names(env.get(ENV_ALLOW)), _names(env.get(ENV_DISABLED))
        failures = []
        taken: dict[str, PluginInfo] = {}
        for cand in candidates:
            info = PluginInfo(cand.name, cand.dist, cand.version, cand.value)
            self.infos.append(info)
            keys = {_norm(cand.name), _norm(cand.dist)}
            if not cand.builtin and keys & deny.keys():
                info.status, info.reason = "disabled", f"listed in {ENV_DISABLED}"
            elif not cand.builtin and allow and not keys & allow.keys():
                info.status, info.reason = "disabled", f"not listed in {ENV_ALLOW}"
            elif cand.name in taken:
                other = taken[cand.name].origin
                info.error = f"plugin name {cand.name!r} is already used by {other}"
            else:
                taken[cand.name] = info
                info.error = self._activate(cand, info)
            if info.error is not None:
                msg = f"graft {info.origin} failed and was skipped: {info.error}"
                failures.append(msg)
                if not strict:
                    warn(msg, PluginWarning)
        seen = {_norm(i.name) for i in self.infos} | {_norm(i.dist) for i in self.infos}
        for key in sorted(allow.keys() - seen) if self.autoload else ():
            warn(
                f"{ENV_ALLOW} names {allow[key]!r}, which matches no installed plugin",
                PluginWarning,
            )
        self.config.warn_unknown_env()  # only now: plugins add flags of their own
        if strict and failures:
            self._strict_error = "\n".join(failures)

    def _entry_points(self) -> list[_Candidate]:
        from importlib.metadata import entry_points

        out = []
        for ep in entry_points(group="graft"):
            dist = ep.dist
            dname, version = (dist.name, dist.version) if dist is not None else ("unknown", "")
            out.append(_Candidate(ep.name, dname, version, ep.value, ep.load))
        out.sort(key=lambda c: (_norm(c.dist), c.name))
        return out

    def _activate(self, cand: _Candidate, info: PluginInfo) -> str | None:
        """Import, check and run the load-time hooks of one plugin; the error, if any."""
        from graft.plugins.hookspecs import LOAD_HOOKS

        stage = "import"
        try:
            obj = cand.load()
            stage = "check"
            declared = getattr(obj, "GRAFT_PLUGIN_API", "1.0")
            info.api = str(declared)
            mismatch = api_mismatch(declared)
            if mismatch:
                return mismatch
            impls = self._register(obj, f"{cand.dist}:{cand.name}")
        except Exception as exc:
            what = f"import of {cand.value!r} failed: " if stage == "import" else ""
            return f"{what}{_describe(exc)}"
        origin = info.origin
        views = _Views(
            self.backends.bind(origin),
            self.rewrites.bind(origin),
            self.ops.bind(origin),
            self.config.owned_by(str(origin)),
        )
        args: dict[str, dict[str, Any]] = {
            "graft_add_config": {"config": views.config},
            "graft_register_backends": {"registry": views.backends},
            "graft_register_ops": {"registry": views.ops},
            "graft_register_rewrites": {"registry": views.rewrites},
        }
        stage = ""
        try:
            for stage in LOAD_HOOKS:
                if stage in impls:
                    _call(impls[stage], args[stage])
            stage = "registering its rewrites"
            views.rewrites.commit()
        except Exception as exc:
            self.pm.unregister(obj)
            stayed = views.rollback()
            if stayed:
                info.issues.append(f"rewrites left in their databases (no unregister()): {stayed}")
            return f"{stage} failed: {_describe(exc)}"
        info.status = "active"
        info.registered = Registered(
            list(views.backends.added),
            views.rewrites.by_database(),
            list(views.ops.added),
            list(views.config.added),
        )
        self._active.append(_Active(info, impls, views))
        return None

    def _register(self, obj: object, key: str) -> dict[str, Any]:
        """Register ``obj`` with pluggy (validates signatures); its hook impls by name."""
        pm = self.pm
        pm.register(obj, name=key)
        impls: dict[str, Any] = {}
        try:
            for caller in pm.get_hookcallers(obj) or []:
                impl = next(i for i in caller.get_hookimpls() if i.plugin is obj)
                if not caller.has_spec() and not impl.optionalhook:
                    specs = (getattr(pm.hook, h) for h in dir(pm.hook) if h.startswith("graft_"))
                    known = ", ".join(sorted(c.name for c in specs if c.has_spec()))
                    raise PluginError(f"unknown hook {caller.name!r}; graft's hooks are: {known}")
                if impl.hookwrapper or impl.wrapper:
                    raise PluginError(f"{caller.name}: hook wrappers are not supported")
                impls[caller.name] = impl
        except Exception:
            pm.unregister(obj)
            raise
        return impls

    def extend_backend(self, name: str, backend: type[Linker]) -> None:
        """Run every active plugin's ``graft_extend_backend`` once for backend ``name``."""
        self.ensure_loaded()
        if name in self._extended:
            return
        self._extended.add(name)
        kwargs: dict[str, Any] = {"backend": backend, "name": name}
        for active in self._active:
            impl = active.impls.get("graft_extend_backend")
            if impl is None:
                continue
            try:
                _call(impl, kwargs)
            except Exception as exc:
                msg = (
                    f"graft {active.info.origin}: graft_extend_backend for backend {name!r} "
                    f"raised {_describe(exc)}"
                )
                active.info.issues.append(msg)
                if _truthy(self.env.get(ENV_STRICT)):
                    raise PluginError(msg) from exc
                warn(msg, PluginWarning)

    def unload(self) -> None:
        """Roll back what the active plugins registered (for tests)."""
        for active in reversed(self._active):
            active.views.rollback()
        self._active = []


_loader: Loader | None = None
_loader_lock = threading.Lock()


def _get() -> Loader:
    global _loader
    if _loader is None:
        with _loader_lock:
            if _loader is None:
                _loader = Loader()
    return _loader


def ensure_loaded() -> None:
    """Load plugins if not done yet; cheap afterwards. Safe to call from anywhere."""
    loader = _loader
    if loader is not None and loader._state == "loaded" and loader._strict_error is None:
        return
    _get().ensure_loaded()


def load() -> list[PluginInfo]:
    """Load plugins (once per process) and return :func:`plugins`."""
    return plugins()


def plugins() -> list[PluginInfo]:
    """Every plugin seen: built-in first, with status, error and what it registered."""
    loader = _get()
    loader.ensure_loaded()
    return list(loader.infos)


def backends() -> BackendRegistry:
    """The registry of backend descriptors (loads plugins first)."""
    loader = _get()
    loader.ensure_loaded()
    return loader.backends


def rewrites() -> list[RewriteRecord]:
    """Every rewrite registered through plugins, with database and plugin."""
    loader = _get()
    loader.ensure_loaded()
    return loader.rewrites.records


def ops() -> list[OpRecord]:
    """Every Op class declared by plugins, with its plugin."""
    loader = _get()
    loader.ensure_loaded()
    return loader.ops.records()


def extend_backend(name: str, backend: type[Linker]) -> None:
    """Let plugins add their Ops' implementations to ``backend`` (once per ``name``).

    ``backends().load_linker(name)`` does this itself; call it directly only for
    a backend object obtained some other way.
    """
    _get().extend_backend(name, backend)


def reset() -> None:
    """Forget loaded plugins and undo their registrations; the next use loads again.

    For tests. Rewrites stay in their databases unless those have ``unregister``.
    """
    global _loader
    with _loader_lock:
        old, _loader = _loader, None
    if old is not None:
        old.unload()
