"""The backend registry: cheap descriptors, linker classes imported on first use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graft.plugins._view import View, import_path
from graft.plugins.errors import RUNTIME, ConflictError, Origin

if TYPE_CHECKING:
    from graft.link.basic import Linker

Availability = str | Callable[[], bool] | None


@dataclass(frozen=True)
class BackendSpec:
    """A backend descriptor: everything needed to choose and later load a backend."""

    name: str
    linker: str
    priority: int = 0
    available: Availability = None
    description: str = ""
    plugin: str = RUNTIME.plugin
    dist: str = RUNTIME.dist
    version: str = RUNTIME.version

    @property
    def origin(self) -> Origin:
        """The plugin that registered this backend."""
        return Origin(self.plugin, self.dist, self.version)

    def check_available(self) -> bool:
        """Run the availability check (imports nothing but a ``"module:function"`` check)."""
        check = self.available
        if check is None:
            return True
        if callable(check):
            return bool(check())
        if ":" in check:
            return bool(import_path(check)())
        from importlib.util import find_spec

        return find_spec(check) is not None


@dataclass
class _BackendTable:
    specs: dict[str, BackendSpec] = field(default_factory=dict)
    linkers: dict[str, type[Linker]] = field(default_factory=dict)
    # name -> None when available, else why not
    availability: dict[str, str | None] = field(default_factory=dict)
    on_first_load: Callable[[str, type[Linker]], None] | None = None


class BackendRegistry(View):
    """Backend descriptors by name; what ``graft_register_backends`` receives.

    >>> reg = BackendRegistry(Origin("myplug", "myplug-dist", "1.0"))
    >>> spec = reg.register("mine", linker="my_plugin.linker:MyLinker", priority=5)
    >>> reg.best().name, spec.dist
    ('mine', 'myplug-dist')
    """

    def __init__(self, origin: Origin = RUNTIME) -> None:
        super().__init__(origin)
        self._table = _BackendTable()
        self._init_view()

    def _init_view(self) -> None:
        self.added: list[BackendSpec] = []

    def register(
        self,
        name: str,
        *,
        linker: str,
        priority: int = 0,
        available: Availability = None,
        description: str = "",
    ) -> BackendSpec:
        """Register a backend; raises :class:`ConflictError` if ``name`` is taken."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"backend name must be an identifier, got {name!r}")
        module, sep, attr = linker.partition(":") if isinstance(linker, str) else ("", "", "")
        if not (module and sep and attr):
            raise ValueError(f"backend {name!r}: linker must be 'module:attr', got {linker!r}")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError(f"backend {name!r}: priority must be an int, got {priority!r}")
        if not (available is None or isinstance(available, str) or callable(available)):
            raise TypeError(f"backend {name!r}: available must be None, a str or a callable")
        old = self._table.specs.get(name)
        if old is not None:
            raise ConflictError(
                f"backend {name!r} registered by {self.origin} conflicts with backend "
                f"{name!r} already registered by {old.origin}"
            )
        o = self.origin
        spec = BackendSpec(
            name, linker, priority, available, description, o.plugin, o.dist, o.version
        )
        self._table.specs[name] = spec
        self.added.append(spec)
        return spec

    def rollback(self) -> None:
        """Remove everything this view registered."""
        for spec in self.added:
            self._table.specs.pop(spec.name, None)
            self._table.linkers.pop(spec.name, None)
            self._table.availability.pop(spec.name, None)
        self.added = []

    def get(self, name: str) -> BackendSpec:
        """The descriptor of backend ``name``; ``KeyError`` lists the known names."""
        try:
            return self._table.specs[name]
        except KeyError:
            raise KeyError(f"no backend {name!r}; known backends: {self.names()}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._table.specs

    def __iter__(self) -> Iterator[BackendSpec]:
        return iter(list(self._table.specs.values()))

    def __len__(self) -> int:
        return len(self._table.specs)

    def names(self) -> list[str]:
        """Registered backend names, in registration order."""
        return list(self._table.specs)

    def unavailable_reason(self, name: str) -> str | None:
        """``None`` if backend ``name`` is available, else why not (the check is cached)."""
        table = self._table
        if name not in table.availability:
            spec = self.get(name)
            try:
                ok = spec.check_available()
                reason = None if ok else "availability check returned False"
                if not ok and isinstance(spec.available, str) and ":" not in spec.available:
                    reason = f"module {spec.available!r} is not installed"
            except Exception as exc:  # a broken check means unavailable, not a crash
                reason = f"availability check raised {type(exc).__name__}: {exc}"
            table.availability[name] = reason
        return table.availability[name]

    def is_available(self, name: str) -> bool:
        """Whether backend ``name`` can be used here (cached)."""
        return self.unavailable_reason(name) is None

    def available(self) -> list[BackendSpec]:
        """Available backends, highest priority first (ties: registration order)."""
        specs = [s for s in self._table.specs.values() if self.is_available(s.name)]
        return sorted(specs, key=lambda s: -s.priority)

    def best(self) -> BackendSpec:
        """The available backend with the highest priority."""
        specs = self.available()
        if not specs:
            raise LookupError(f"no available backend among {self.names()}")
        return specs[0]

    def load_linker(self, name: str) -> type[Linker]:
        """Import backend ``name``'s linker class (only now), cached.

        The first load of each backend runs the ``graft_extend_backend`` hooks.
        """
        table = self._table
        if name in table.linkers:
            return table.linkers[name]
        spec = self.get(name)
        try:
            cls: type[Linker] = import_path(spec.linker)
        except Exception as exc:
            raise ImportError(
                f"backend {name!r} from {spec.origin}: cannot import its linker "
                f"{spec.linker!r}: {type(exc).__name__}: {exc}"
            ) from exc
        table.linkers[name] = cls
        if table.on_first_load is not None:
            table.on_first_load(name, cls)
        return cls
