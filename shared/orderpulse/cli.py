"""The `orderpulse` command: `up`, `demo`, `simulate`, `migrate`, `mail`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from orderpulse.dlq_command import add_dlq_commands
from orderpulse.services import installed_services, service_named


def _say(message: str) -> None:
    print(message, flush=True)


class _StopRequest:
    """Ctrl-C or SIGTERM while the stack starts: a KeyboardInterrupt where the command is, so
    what was started so far is stopped, and remembered, since Python drops an exception raised
    inside an at-fork handler (logging's, while a process is spawned) and the start-up then goes
    on. Installed for SIGINT too: a parent that ignores SIGINT (a shell's background job, a test
    runner's worker) passes that on, and Python then sets no KeyboardInterrupt of its own."""

    def __init__(self) -> None:
        self.asked = False
        signal.signal(signal.SIGINT, self)
        signal.signal(signal.SIGTERM, self)

    def __call__(self, _signum, _frame) -> None:
        self.asked = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise the KeyboardInterrupt a dropped signal should have raised."""
        if self.asked:
            raise KeyboardInterrupt


def _monitoring_beside(stack, wanted: bool | None) -> list[str] | None:
    """Prometheus and Alertmanager next to the stack when asked (None: when installed); [] if not
    wanted, None when they failed to start (the stack is stopped then)."""
    from orderpulse.stack import monitoring

    if wanted is False or (wanted is None and not monitoring.available()):
        return []
    try:
        return monitoring.start_beside(stack, _say, required=bool(wanted))
    except KeyboardInterrupt:
        _say("interrupted during start-up; everything started so far was stopped")
        return None


def cmd_up(args: argparse.Namespace) -> int:
    from orderpulse.stack.settings import StackSettings
    from orderpulse.stack.supervisor import print_summary, start_stack, stop_stack, wait_for_signal

    stop_request = _StopRequest()
    # live stories run ~2,880x faster than real time: feedback-svc's default hour before asking for a
    # survey would be a day of the demo; seconds keep the survey a moment after the delivery
    os.environ.setdefault("ORDERPULSE_SURVEY_DELAY", DEMO_SURVEY_DELAY)
    try:
        stack = start_stack(StackSettings(), _say)
    except KeyboardInterrupt:
        _say("interrupted during start-up; everything started so far was stopped")
        return 130
    except Exception as error:
        _say(f"error: {error}")
        return 1
    try:
        stop_request.check()
        monitoring_lines = _monitoring_beside(stack, args.with_prometheus)
        if monitoring_lines is None:
            return 1
        print_summary(stack, _say)
        for line in monitoring_lines:
            _say(line)
        stop_request.check()
        wait_for_signal(stack, _say)  # from its first line on, a signal only asks it to stop
    except KeyboardInterrupt:  # Ctrl-C before wait_for_signal took the signals over: stop as usual
        _ignore_stop_signals()
        _say("stopping ...")
        stop_stack(stack, _say)
    finally:
        _ignore_stop_signals()
    return 0


def _ignore_stop_signals() -> None:
    """Once stopping, a second Ctrl-C (or a late SIGTERM) neither cuts the stop short, leaving
    children behind, nor turns a clean exit into death by signal while the interpreter shuts down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


DEMO_SURVEY_DELAY = "2s"


def cmd_demo(args: argparse.Namespace) -> int:
    """`up`, then a month of history and live traffic until Ctrl-C; Ctrl-C stops everything."""
    import asyncio

    from orderpulse.event_loop import run as run_simulation
    from orderpulse.simulator.clients import Stack
    from orderpulse.simulator.report import where_to_look
    from orderpulse.simulator.runner import simulate
    from orderpulse.stack.settings import StackSettings
    from orderpulse.stack.supervisor import print_summary, start_stack, stop_stack

    try:
        config = simulation_config(args)
    except ValueError as error:
        _say(f"error: {error}")
        return 2
    stop_request = _StopRequest()
    # live stories run ~2,880x faster than real time: feedback-svc's default hour before asking for a
    # survey would be a day of the demo; seconds keep the survey a moment after the delivery
    os.environ.setdefault("ORDERPULSE_SURVEY_DELAY", DEMO_SURVEY_DELAY)
    try:
        stack = start_stack(StackSettings(), _say)
    except KeyboardInterrupt:
        _say("interrupted during start-up; everything started so far was stopped")
        return 130
    except Exception as error:
        _say(f"error: {error}")
        return 1
    monitoring_lines = _monitoring_beside(stack, args.prometheus)
    if monitoring_lines is None:
        return 1
    outcome = None
    try:
        stop_request.check()
        print_summary(stack, _say)
        for line in where_to_look(stack.services) + monitoring_lines:
            _say(line)
        stack_json = stack.settings.state_dir.resolve() / "stack.json"
        stop_request.check()
        # Python's own Ctrl-C from here: the runner then cancels the simulation, as asyncio.run always did
        signal.signal(signal.SIGINT, signal.default_int_handler)

        def dead_service() -> str | None:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    return f"{name} exited with code {process.returncode}"
            return None

        outcome = run_simulation(simulate(config, Stack.load(stack_json), _say, watchdog=dead_service))
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say("interrupted")
    finally:
        _ignore_stop_signals()  # the stack stops in order, whatever is pressed now
        _say("stopping ...")
        stop_stack(stack, _say)
    return 1 if outcome is not None and outcome.stack_gone else 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Drive a running stack (its stack.json) with traffic; prints progress and a summary."""
    import asyncio

    from orderpulse.event_loop import run as run_simulation
    from orderpulse.simulator.clients import Stack
    from orderpulse.simulator.runner import simulate

    try:
        config = simulation_config(args)
        stack = Stack.load(config.stack_path)
    except (ValueError, FileNotFoundError) as error:
        _say(f"error: {error}")
        return 2
    try:
        outcome = run_simulation(simulate(config, stack, _say))
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say("interrupted")
        return 130
    return 1 if outcome.stack_gone else 0


def simulation_config(args: argparse.Namespace):
    """The simulator's options from the command line (shared by `simulate` and `demo`)."""
    from pathlib import Path

    from orderpulse.simulator.config import ErrorMix, SimulationConfig, parse_rate, parse_span

    return SimulationConfig(
        stack_path=Path(getattr(args, "stack", None) or Path(os.environ.get("ORDERPULSE_STATE_DIR", ".orderpulse")) / "stack.json"),
        seed=args.seed,
        rate_per_s=parse_rate(args.rate),
        duration_s=parse_span(args.duration),
        live_orders=args.orders,
        backfill_s=parse_span(args.backfill) if args.backfill else 0.0,
        backfill_orders=args.backfill_orders,
        concurrency=args.concurrency,
        live_speedup=args.live_speedup,
        drain_s=parse_span(args.drain),
        progress_every_s=parse_span(args.progress_every),
        run_tag=args.run_tag,
        merchant_timezone=args.merchant_timezone,
        mix=ErrorMix().with_text(args.mix),
        report_path=Path(args.report) if args.report else None,
        kpi_wait_s=parse_span(args.kpi_wait),
        give_up_after_s=parse_span(args.give_up_after),
    )


def _add_simulation_options(parser: argparse.ArgumentParser, *, demo: bool) -> None:
    """Options of the traffic simulator; docs/simulator.md explains them."""
    if not demo:
        parser.add_argument("--stack", help="stack.json of the running stack (default: $ORDERPULSE_STATE_DIR/stack.json)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same traffic (default 7)")
    parser.add_argument("--rate", default="2/s" if demo else "20/s", help="live orders per second, e.g. 20/s, 300/m")
    parser.add_argument("--duration", default="forever" if demo else "10m",
                        help="live phase: 90s, 10m, 2h, forever; 0 = no live traffic")
    parser.add_argument("--orders", type=int, default=None, help="stop the live phase after this many orders")
    parser.add_argument("--backfill", default="30d" if demo else None,
                        help="first replay this much history on event time, e.g. 30d (default: none)")
    parser.add_argument("--backfill-orders", type=int, default=1500 if demo else None,
                        help="orders in the replayed history (default: 50 a day)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at most (default 32)")
    parser.add_argument("--live-speedup", type=float, default=2880.0,
                        help="live stories run this many times faster than real time (default 2880: a day in 30 s)")
    parser.add_argument("--drain", default="1m", help="after the live phase, time for stories in flight to finish")
    parser.add_argument("--mix", default=None,
                        help="error mix overrides, e.g. price_mistake=0.05,damage_in_transit=2%% (see docs/simulator.md)")
    parser.add_argument("--run-tag", default=None, help="prefix of the ids this run creates (default: from the clock)")
    parser.add_argument("--progress-every", default="5s", help="how often a progress line is printed")
    parser.add_argument("--merchant-timezone", default="UTC", help="the services' merchant timezone (ship deadlines)")
    parser.add_argument("--report", default=None, help="also write the summary as JSON to this file")
    parser.add_argument("--kpi-wait", default="30s", help="at the end, how long to wait for kpi-svc to agree")
    parser.add_argument("--give-up-after", default="2m",
                        help="stop with an error once no service has answered for this long (default 2m)")


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


def cmd_mail(args: argparse.Namespace) -> int:
    """List what the local stack's mail sink received, or show one message."""
    from pathlib import Path

    from orderpulse.stack.mailbox.listing import list_lines, mail_lines, text_lines
    from orderpulse.stack.mailbox.mail import Mailbox
    from orderpulse.stack.mailbox.texts import TextMessages

    state = Path(os.environ.get("ORDERPULSE_STATE_DIR", ".orderpulse")).resolve()
    mailbox, texts = Mailbox(state / "mail"), TextMessages(state / "sms")
    if args.action != "show":
        lines = list_lines(mailbox, texts, limit=args.limit)
    elif args.sms:
        lines = text_lines(texts, args.number)
    else:
        lines = mail_lines(mailbox, args.number, raw=args.raw)
    try:
        for line in lines:
            _say(line)
    except KeyError:
        _say(f"error: there is no {'SMS' if args.sms else 'mail'} number {args.number} in {state}")
        return 1
    return 0


def _add_mail_commands(commands) -> None:
    mail = commands.add_parser("mail", help="list the mail and SMS the local stack received; `mail show N` prints one")
    mail.set_defaults(run=cmd_mail, sms=False)
    mail.add_argument("--limit", type=int, default=50, help="how many of each to list, newest (default 50)")
    actions = mail.add_subparsers(dest="action")
    show = actions.add_parser("show", help="print one message: its headers and plain text")
    show.add_argument("number", type=int, help="the message number `orderpulse mail` lists")
    show.add_argument("--sms", action="store_true", help="the SMS or webhook with that number, not the mail")
    show.add_argument("--raw", action="store_true", help="the whole message source (.eml) as received")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderpulse", description="Run and drive the OrderPulse stack.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start PostgreSQL, the broker and every service; Ctrl-C stops all")
    up.add_argument("--with-prometheus", action="store_true",
                    help="also start Prometheus (the project's rules) and Alertmanager, from .tools/")
    up.set_defaults(run=cmd_up)
    demo = commands.add_parser("demo", help="`up` plus a month of history and live traffic; Ctrl-C stops all")
    _add_simulation_options(demo, demo=True)
    demo.add_argument("--prometheus", action=argparse.BooleanOptionalAction, default=None,
                      help="start Prometheus and Alertmanager beside the stack (default: when installed)")
    demo.set_defaults(run=cmd_demo)
    simulate = commands.add_parser("simulate", help="drive a running stack with traffic")
    _add_simulation_options(simulate, demo=False)
    simulate.set_defaults(run=cmd_simulate)
    add_dlq_commands(commands, _say)  # `orderpulse dlq list|show|redrive <service>`
    migrate = commands.add_parser("migrate", help="bring a service's schema to the latest migration")
    migrate.add_argument("service", help="service name, e.g. order-svc, or `all`")
    migrate.set_defaults(run=cmd_migrate)
    _add_mail_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
