"""The ``graft`` command (``python -m graft``): ``graft plugins``, ``graft config``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``graft`` console script; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="graft",
        description="graft: define, rewrite and compile graphs of tensor operations.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "plugins",
        help="list plugins: version, status, and the backends, rewrites, Ops and flags each registered",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    c = sub.add_parser("config", help="list configuration flags, their values and owners")
    c.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)

    from graft.plugins import cli

    if args.command == "plugins":
        return cli.plugins_command(args.json)
    if args.command == "config":
        return cli.config_command(args.json)
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
