"""Configuration flags: the global :data:`config` (re-exported as ``graft.config``).

Flags are declared with :meth:`Config.add` (core's below, plugins' through the
``graft_add_config`` hook) and read as attributes::

    import graft

    graft.config.profile                      # False
    graft.config.on_unused_input = "warn"     # converted and validated
    with graft.config.change_flags(profile=True):
        ...

Initial values come from ``GRAFT_FLAGS="name=value,name2=value2"`` (``.`` and
``__`` both separate sections: ``numba.cache`` is ``numba__cache``), read when a
flag is first accessed. A name in ``GRAFT_FLAGS`` that no flag has is reported
with a warning once plugins are loaded (plugins add flags of their own).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import ContextDecorator
from dataclasses import dataclass
from typing import Any

from graft.errors import ConflictError, warn

__all__ = [
    "ChangeFlags",
    "Config",
    "FlagInfo",
    "OneOf",
    "PluginConfig",
    "change_flags",
    "config",
    "parse_bool",
]

_MISSING: Any = object()
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_bool(value: object) -> bool:
    """``True/False/1/0`` (also yes/no/on/off, any case) or a bool -> bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ValueError(f"expected a boolean (True/False/1/0), got {value!r}")


def _to_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an int, got {value!r}")
    return int(value)


def _to_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a float, got {value!r}")
    return float(value)


def _to_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a str, got {value!r}")
    return value


def _default_convert(default: object) -> Callable[[Any], Any] | None:
    # bool before int: bool is an int subclass
    for typ, conv in ((bool, parse_bool), (int, _to_int), (float, _to_float), (str, _to_str)):
        if isinstance(default, typ):
            return conv
    return None


class OneOf:
    """Validator accepting only the given values; its error lists them.

    >>> OneOf("off", "warn", "raise")("warn")
    True
    """

    def __init__(self, *choices: object) -> None:
        self.choices = choices

    def __call__(self, value: object) -> bool:
        if value not in self.choices:
            raise ValueError(f"expected one of {', '.join(map(repr, self.choices))}")
        return True

    def __repr__(self) -> str:
        return f"OneOf{self.choices!r}"


@dataclass(frozen=True)
class _Flag:
    name: str
    doc: str
    default: Any
    convert: Callable[[Any], Any] | None
    validate: Callable[[Any], object] | None
    owner: str


@dataclass(frozen=True)
class FlagInfo:
    """A flag as listed by :meth:`Config.flags`; ``source`` is default, GRAFT_FLAGS or set."""

    name: str
    doc: str
    default: Any
    value: Any
    owner: str
    source: str


def _normalize(name: str) -> str:
    return name.strip().replace(".", "__")


class Config:
    """A set of named, documented, validated flags read and set as attributes."""

    def __init__(self, env_var: str = "GRAFT_FLAGS") -> None:
        d = self.__dict__  # plain attributes; flag names go through __getattr__
        d["_flags"] = {}
        d["_values"] = {}
        d["_sources"] = {}
        d["_env_var"] = env_var
        d["_env_raw"] = None
        d["_env"] = {}
        d["_warned"] = set()
        d["_on_missing_flag"] = None

    # -- declaring -----------------------------------------------------------------------
    def add(
        self,
        name: str,
        doc: str,
        default: Any,
        *,
        convert: Callable[[Any], Any] | None = None,
        validate: Callable[[Any], object] | None = None,
        owner: str = "graft-core",
    ) -> None:
        """Declare flag ``name`` (``"numba__cache"`` or ``"numba.cache"``).

        ``convert`` turns a ``GRAFT_FLAGS`` string or an assigned value into the
        flag's value (default: from the type of ``default``: bool parses
        True/False/1/0, int, float, str). ``validate`` returns false or raises
        ``ValueError`` for a bad converted value. ``owner`` names who added it.
        """
        name = _normalize(name)
        if not name.isidentifier() or name.startswith("_") or hasattr(type(self), name):
            raise ValueError(f"invalid config flag name {name!r}")
        old = self._flags.get(name)
        if old is not None:
            raise ConflictError(
                f"config flag {name!r} added by {owner} conflicts with the flag {name!r} "
                f"already added by {old.owner}"
            )
        flag = _Flag(name, doc, default, convert or _default_convert(default), validate, owner)
        # a bad default is the declarer's bug: report it now, not at first use
        self._coerce(flag, default, " (the default)")
        self._flags[name] = flag

    def remove(self, name: str) -> None:
        """Forget flag ``name`` (rollback of a failed plugin, tests)."""
        name = _normalize(name)
        self._flags.pop(name, None)
        self._values.pop(name, None)
        self._sources.pop(name, None)

    def on_missing_flag(self, provider: Callable[[], object] | None) -> None:
        """Call ``provider()`` before reporting an unknown flag, then look again.

        The plugin loader registers itself here, so ``graft.config.numba__cache``
        works before anything else loaded the plugins; this module knows nothing
        of plugins.

        Example::

            config.on_missing_flag(graft.plugins.ensure_loaded)
        """
        self.__dict__["_on_missing_flag"] = provider

    def owned_by(self, owner: str) -> PluginConfig:
        """This config, with the flags added through the returned view owned by ``owner``."""
        return PluginConfig(self, owner)

    # -- values --------------------------------------------------------------------------
    def _coerce(self, flag: _Flag, value: Any, where: str = "") -> Any:
        try:
            new = flag.convert(value) if flag.convert is not None else value
            ok = flag.validate(new) if flag.validate is not None else True
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"invalid value {value!r} for config flag {flag.name!r}{where}: {exc}"
            ) from None
        if ok is not None and not ok:
            raise ValueError(f"invalid value {value!r} for config flag {flag.name!r}{where}")
        return new

    def _env_values(self) -> dict[str, str]:
        raw = os.environ.get(self._env_var, "")
        if raw != self._env_raw:
            env: dict[str, str] = {}
            for item in raw.split(","):
                if not item.strip():
                    continue
                key, sep, value = item.partition("=")
                if not sep:
                    self._warn_once(
                        f"{self._env_var}: ignoring {item.strip()!r} (expected name=value)"
                    )
                    continue
                env[_normalize(key)] = value.strip()
            self.__dict__["_env_raw"] = raw
            self.__dict__["_env"] = env
        return self._env

    def _warn_once(self, msg: str) -> None:
        if msg not in self._warned:
            self._warned.add(msg)
            warn(msg, UserWarning)

    def _flag(self, name: str) -> _Flag:
        flag = self._flags.get(name)
        if flag is None and self._on_missing_flag is not None and not name.startswith("_"):
            self._on_missing_flag()  # e.g. load the plugins, which add their flags
            flag = self._flags.get(name)
        if flag is None:
            import difflib

            close = difflib.get_close_matches(name, list(self._flags), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise AttributeError(f"graft.config has no flag {name!r}{hint}")
        return flag

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never a flag; also avoids recursion before __init__ ran
            raise AttributeError(name)
        flag = self._flag(name)
        if name not in self._values:
            env = self._env_values()
            if name in env:
                value = self._coerce(flag, env[name], f" (from {self._env_var})")
                self._sources[name] = self._env_var
            else:
                value = self._coerce(flag, flag.default)
                self._sources[name] = "default"
            self._values[name] = value
        return self._values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        flag = self._flag(_normalize(name))
        self._values[flag.name] = self._coerce(flag, value)
        self._sources[flag.name] = "set"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _normalize(name) in self._flags

    def __dir__(self) -> Iterable[str]:
        return [*super().__dir__(), *self._flags]

    def __repr__(self) -> str:
        return f"<Config: {len(self._flags)} flags>"

    def flags(self) -> list[FlagInfo]:
        """All flags, sorted by name, with their doc, value and owner."""
        out = []
        for name in sorted(self._flags):
            f = self._flags[name]
            value = getattr(self, name)
            out.append(FlagInfo(name, f.doc, f.default, value, f.owner, self._sources[name]))
        return out

    def change_flags(self, changes: Mapping[str, Any] | None = None, /, **kw: Any) -> ChangeFlags:
        """Context manager / decorator setting flags, restoring them on exit.

        >>> with config.change_flags(profile=True):
        ...     assert config.profile
        """
        return ChangeFlags(self, {**(changes or {}), **kw})

    def warn_unknown_env(self) -> list[str]:
        """Warn (once each) about ``GRAFT_FLAGS`` names that are no flag; returns them."""
        unknown = [n for n in self._env_values() if n not in self._flags]
        for name in unknown:
            self._warn_once(f"{self._env_var} sets unknown config flag {name!r}")
        return unknown


class ChangeFlags(ContextDecorator):
    """Sets flags on enter and restores the previous values on exit, even after an error."""

    def __init__(self, config: Config, changes: Mapping[str, Any]) -> None:
        self._config = config
        # convert and validate now, so a bad value fails where it is written
        self._new = {}
        for name, value in changes.items():
            flag = config._flag(_normalize(name))
            self._new[flag.name] = config._coerce(flag, value)
        self._saved: list[dict[str, tuple[Any, Any]]] = []  # a stack: nesting, recursion

    def __enter__(self) -> ChangeFlags:
        values, sources = self._config._values, self._config._sources
        self._saved.append(
            {n: (values.get(n, _MISSING), sources.get(n, _MISSING)) for n in self._new}
        )
        for name, value in self._new.items():
            values[name] = value
            sources[name] = "set"
        return self

    def __exit__(self, *exc: object) -> None:
        values, sources = self._config._values, self._config._sources
        for name, (value, source) in self._saved.pop().items():
            for store, old in ((values, value), (sources, source)):
                if old is _MISSING:
                    store.pop(name, None)
                else:
                    store[name] = old


class PluginConfig:
    """What ``graft_add_config`` receives: the config, with added flags owned by the plugin."""

    def __init__(self, config: Config, owner: str) -> None:
        self.__dict__.update(_config=config, _owner=owner, added=[])

    def add(
        self,
        name: str,
        doc: str,
        default: Any,
        *,
        convert: Callable[[Any], Any] | None = None,
        validate: Callable[[Any], object] | None = None,
    ) -> None:
        """:meth:`Config.add`, owned by this plugin."""
        self._config.add(name, doc, default, convert=convert, validate=validate, owner=self._owner)
        self.added.append(_normalize(name))

    def rollback(self) -> None:
        """Remove the flags added through this view."""
        for name in self.added:
            self._config.remove(name)
        self.added.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._config, name, value)


def change_flags(changes: Mapping[str, Any] | None = None, /, **kw: Any) -> ChangeFlags:
    """:meth:`Config.change_flags` on the global :data:`config`."""
    return config.change_flags(changes, **kw)


def _no_test_values(value: object) -> bool:
    if value != "off":
        raise ValueError(
            "graft does not compute test values (PyTensor's compute_test_value): only 'off' "
            "is accepted. Errors in a graph show when it is compiled and called, with the "
            "line that built the failing node; evaluate a graph early with Variable.eval()"
        )
    return True


#: The global configuration (``graft.config``).
config = Config()

_add = config.add
_add("profile", "Print a profile of each compiled function's calls at exit.", False)
_add("profile_optimizer", "Profile the rewriting passes of each compilation.", False)
_add("mode", "Default compilation mode (FAST_RUN, FAST_COMPILE, or a backend's mode).", "FAST_RUN")
_add("linker", "Backend used by the default mode; 'auto' picks the best available one.", "auto")
_add(
    "compute_test_value",
    "Not supported: graft computes no test values (only 'off' is accepted). Check a "
    "graph by compiling it, or evaluate it with Variable.eval().",
    "off",
    validate=_no_test_values,
)
_add(
    "optimizer_verbose",
    "Print each rewrite applied while a function compiles (rewrite name, old node -> new node).",
    False,
)
_add(
    "on_unused_input",
    "What to do when a compiled function has an input its outputs do not use.",
    "raise",
    validate=OneOf("raise", "warn", "ignore"),
)
_add(
    "floatX",
    "Default float dtype of new variables and arrays created without a dtype "
    "(vector(), zeros(), eye()...) and of the gradients of integer inputs.",
    "float64",
    validate=OneOf("float64", "float32", "float16"),
)
_add(
    "backend_fallback",
    "What a compiled backend does with an Op it has no rule for: run it through the Op's "
    "Python perform with one warning per Op ('warn'), silently ('ignore'), or refuse the "
    "graph ('raise').",
    "warn",
    validate=OneOf("warn", "ignore", "raise"),
)
del _add
