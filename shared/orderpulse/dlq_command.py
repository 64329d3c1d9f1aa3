"""`orderpulse dlq list|show|redrive <service>`: look at a service's dead letters and replay them."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import orjson

Say = Callable[[str], None]


def add_dlq_commands(commands, say: Say) -> None:
    """Register `dlq` on the `orderpulse` command's subparsers."""
    dlq = commands.add_parser("dlq", help="list, show and redrive a service's dead letters")
    actions = dlq.add_subparsers(dest="dlq_action", required=True)
    for name, help_text in (("list", "one line per dead letter: id, time, origin, type, error"),
                            ("show", "headers and value of dead letters"),
                            ("redrive", "publish dead letters again to their original topic")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("service", help="the consuming service, e.g. fulfillment-svc")
        if name != "list":
            action.add_argument("ids", nargs="*", help="dead letters as partition:offset (see `list`)")
        if name == "redrive":
            action.add_argument("--all", action="store_true", help="every dead letter of the service")
        action.add_argument("--bootstrap", help="Kafka bootstrap (default: $ORDERPULSE_KAFKA_BOOTSTRAP or stack.json)")
        action.add_argument("--stack", help="stack.json of a running stack (default: $ORDERPULSE_STATE_DIR/stack.json)")
        action.set_defaults(run=lambda args: run_dlq(args, say))


def kafka_bootstrap(args: argparse.Namespace) -> str:
    if args.bootstrap:
        return args.bootstrap
    if os.environ.get("ORDERPULSE_KAFKA_BOOTSTRAP"):
        return os.environ["ORDERPULSE_KAFKA_BOOTSTRAP"]
    path = Path(args.stack or Path(os.environ.get("ORDERPULSE_STATE_DIR", ".orderpulse")) / "stack.json")
    try:
        return orjson.loads(path.read_bytes())["kafka_bootstrap"]
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} not found: start the stack or pass --bootstrap") from None


def run_dlq(args: argparse.Namespace, say: Say) -> int:
    try:
        bootstrap = kafka_bootstrap(args)
    except FileNotFoundError as error:
        say(f"error: {error}")
        return 2
    return asyncio.run(_run(args, bootstrap, say))


async def _run(args: argparse.Namespace, bootstrap: str, say: Say) -> int:
    from orderpulse.messaging.redrive import read_dead_letters, select

    letters = await read_dead_letters(bootstrap, args.service)
    if args.dlq_action == "list":
        say(f"{len(letters)} dead letter(s) on orderpulse.dlq.{args.service}")
        for letter in letters:
            say(letter.summary())
        return 0
    if args.dlq_action == "redrive" and args.all:
        chosen = list(letters)
    else:
        if not args.ids:
            say("error: name dead letters as partition:offset (see `orderpulse dlq list`)" +
                (" or pass --all" if args.dlq_action == "redrive" else ""))
            return 2
        try:
            chosen = select(letters, args.ids)
        except KeyError as unknown:
            say(f"error: no dead letter {unknown.args[0]} on orderpulse.dlq.{args.service}")
            return 2
    if args.dlq_action == "show":
        for letter in chosen:
            say(f"--- {letter.letter_id} key={letter.key}")
            for name, value in letter.headers.items():
                say(f"{name}: {value}")
            say(letter.value.decode(errors="replace")[:4000])
        return 0
    return await _redrive(bootstrap, args.service, chosen, say)


async def _redrive(bootstrap: str, service: str, chosen, say: Say) -> int:
    from orderpulse.messaging.kafka import KafkaPublisher, create_producer
    from orderpulse.messaging.redrive import redrive, redrive_record
    from orderpulse.settings import PlatformSettings

    replayable = []
    for letter in chosen:
        try:
            redrive_record(letter, service)
            replayable.append(letter)
        except ValueError as error:
            say(f"skipped: {error}")
    producer = create_producer(PlatformSettings(kafka_bootstrap=bootstrap, service_name="orderpulse-dlq"),
                               max_request_size=4 * 1024 * 1024, enable_idempotence=False)
    await producer.start()
    try:
        count = await redrive(KafkaPublisher(producer), replayable, service)
    finally:
        await producer.stop()
    say(f"redrove {count} dead letter(s) of {service} to their original topics")
    return 0 if count == len(chosen) else 1
