"""The `orderpulse` command: `up`, `demo`, `simulate`, `migrate`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from orderpulse.services import installed_services, service_named


def _say(message: str) -> None:
    print(message, flush=True)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def cmd_up(_args: argparse.Namespace) -> int:
    from orderpulse.stack.settings import StackSettings
    from orderpulse.stack.supervisor import print_summary, start_stack, wait_for_signal

    signal.signal(signal.SIGTERM, _interrupt)  # during start-up, SIGTERM cleans up like Ctrl-C
    try:
        stack = start_stack(StackSettings(), _say)
    except KeyboardInterrupt:
        _say("interrupted during start-up; everything started so far was stopped")
        return 130
    except Exception as error:
        _say(f"error: {error}")
        return 1
    print_summary(stack, _say)
    wait_for_signal(stack, _say)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _say(
        "The traffic simulator is not built yet (issue: `orderpulse demo` runs a living system); "
        "starting the stack without traffic."
    )
    return cmd_up(args)


def cmd_simulate(_args: argparse.Namespace) -> int:
    _say("The traffic simulator is not built yet; see the open issue about `orderpulse demo`.")
    return 2


def cmd_migrate(args: argparse.Namespace) -> int:
    from orderpulse.db.migrations import upgrade

    url = os.environ.get("ORDERPULSE_DATABASE_URL")
    if not url:
        _say("error: set ORDERPULSE_DATABASE_URL to the PostgreSQL to migrate")
        return 1
    manifests = installed_services() if args.service == "all" else [service_named(args.service)]
    for manifest in manifests:
        _say(f"{manifest.name}: migrating schema {manifest.schema}")
        upgrade(manifest.migrations, url, manifest.schema)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderpulse", description="Run and drive the OrderPulse stack.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start PostgreSQL, the broker and every service; Ctrl-C stops all").set_defaults(
        run=cmd_up
    )
    commands.add_parser("demo", help="`up` plus the traffic simulator").set_defaults(run=cmd_demo)
    commands.add_parser("simulate", help="drive a running stack with traffic").set_defaults(run=cmd_simulate)
    migrate = commands.add_parser("migrate", help="bring a service's schema to the latest migration")
    migrate.add_argument("service", help="service name, e.g. order-svc, or `all`")
    migrate.set_defaults(run=cmd_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
