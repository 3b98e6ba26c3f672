"""``python -m graft plugins`` and ``python -m graft config``: what is installed and set."""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from typing import Any, TextIO

from graft.plugins.errors import PluginError, PluginWarning
from graft.plugins.info import PLUGIN_API_VERSION, PluginInfo, core_version
from graft.plugins.manager import _get


def _op_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _backend_rows(info: PluginInfo) -> list[dict[str, Any]]:
    reg = _get().backends
    rows = []
    for spec in info.registered.backends:
        why = reg.unavailable_reason(spec.name) if spec.name in reg else "not registered"
        rows.append(
            {
                "name": spec.name,
                "priority": spec.priority,
                "linker": spec.linker,
                "available": why is None,
                "unavailable_reason": why,
                "description": spec.description,
                "coverage": _coverage(spec.name) if why is None else None,
            }
        )
    return rows


def _coverage(backend: str) -> dict[str, Any] | None:
    """How many registered Ops ``backend`` runs natively, and which by Python fallback."""
    from graft.link.coverage import coverage

    manager = _get()
    try:
        linker_cls = manager.backends.load_linker(backend)
    except Exception:  # a broken backend is listed without coverage
        return None
    if getattr(linker_cls, "rules", None) is None:
        return None  # not a rule-based backend: it runs Ops its own way
    ops = [r.op for r in manager.ops.records()]
    native, fallback = coverage(linker_cls, ops)
    return {"native": len(native), "fallback": [_op_name(c) for c in fallback]}


def plugin_rows(infos: list[PluginInfo]) -> list[dict[str, Any]]:
    """The listing as plain data (what ``--json`` prints under ``"plugins"``)."""
    return [
        {
            "name": i.name,
            "dist": i.dist,
            "version": i.version,
            "module": i.value,
            "api": i.api,
            "status": i.status,
            "error": i.error,
            "reason": i.reason,
            "backends": _backend_rows(i),
            "rewrites": i.registered.rewrites,
            "ops": [_op_name(c) for c in i.registered.ops],
            "config": i.registered.config,
            "issues": i.issues,
        }
        for i in infos
    ]


def _ops_text(names: list[str], limit: int = 6) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    short = ", ".join(n.rsplit(".", 1)[-1] for n in names[:limit])
    return f"{len(names)} ({short}, ...; --json lists all)"


def _format(row: dict[str, Any]) -> list[str]:
    status = row["status"]
    if status == "failed":
        status = f"failed: {row['error']}"
    elif status == "disabled":
        status = f"disabled: {row['reason']}"
    lines = [f"{row['name']}  {row['dist']} {row['version']}  {status}".rstrip()]
    backends = []
    for b in row["backends"]:
        extra = "" if b["available"] else f", unavailable: {b['unavailable_reason']}"
        cov = b.get("coverage")
        if cov is not None:
            total = cov["native"] + len(cov["fallback"])
            extra += f", {cov['native']} of {total} Ops native"
            if cov["fallback"]:
                extra += f", {len(cov['fallback'])} by Python fallback"
        backends.append(f"{b['name']} (priority {b['priority']}{extra})")
    parts = [
        ("backends", ", ".join(backends)),
        ("rewrites", ", ".join(f"{db} {len(names)}" for db, names in row["rewrites"].items())),
        ("ops", _ops_text(row["ops"])),
        ("config", ", ".join(row["config"])),
    ]
    shown = [f"    {label}: {text}" for label, text in parts if text]
    if row["status"] == "active" and not shown:
        shown = ["    (registered nothing)"]
    lines += shown + [f"    issue: {issue}" for issue in row["issues"]]
    return lines


def plugins_command(as_json: bool = False, out: TextIO | None = None) -> int:
    """Print the plugin listing; 1 if strict mode turned a failure into an error."""
    out = out or sys.stdout
    loader = _get()
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # the listing shows the same text
        try:
            loader.ensure_loaded()
        except PluginError as exc:
            error = str(exc)
    rows = plugin_rows(loader.infos)
    if as_json:
        doc = {
            "graft_core": core_version(),
            "plugin_api": PLUGIN_API_VERSION,
            "autoload": loader.autoload,
            "plugins": rows,
            "error": error,
        }
        json.dump(doc, out, indent=2, default=repr)
        out.write("\n")
    else:
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        out.write(f"graft-core {core_version()}, plugin API {PLUGIN_API_VERSION}\n")
        out.write(f"plugins: {summary}\n")
        if not loader.autoload:
            out.write("entry points not loaded: GRAFT_DISABLE_PLUGIN_AUTOLOAD is set\n")
        out.write("\n")
        for row in rows:
            out.write("\n".join(_format(row)) + "\n")
        if error:
            out.write(f"\nerror (GRAFT_STRICT_PLUGINS is set):\n{error}\n")
    return 1 if error else 0


def config_command(as_json: bool = False, out: TextIO | None = None) -> int:
    """Print every config flag with its value, where the value came from, and its owner."""
    from graft.configparser import config

    out = out or sys.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        # plugins add flags; a strict-mode failure is `graft plugins`'s to report
        with contextlib.suppress(PluginError):
            _get().ensure_loaded()
    flags = config.flags()
    if as_json:
        rows = [
            {
                "name": f.name,
                "value": f.value,
                "default": f.default,
                "source": f.source,
                "owner": f.owner,
                "doc": f.doc,
            }
            for f in flags
        ]
        json.dump(rows, out, indent=2, default=repr)
        out.write("\n")
        return 0
    for f in flags:
        src = "" if f.source == "default" else f"  [{f.source}]"
        out.write(f"{f.name} = {f.value!r}{src}  ({f.owner})\n    {f.doc}\n")
    return 0
