"""`orderpulse up`: the embedded stack and every installed service, supervised (a service that dies is
started again) until a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from orderpulse.db.migrations import upgrade
from orderpulse.event_loop import uvicorn_loop_options
from orderpulse.messaging.kafka import ensure_topics
from orderpulse.services import ServiceManifest, installed_services, platform_topics
from orderpulse.stack import credentials
from orderpulse.stack.broker import EmbeddedBroker
from orderpulse.stack.files import replace_file
from orderpulse.stack.mail_sink import MailSink
from orderpulse.stack.postgres import EmbeddedPostgres, ensure_database
from orderpulse.stack.processes import ensure_port_free, spawn, stop
from orderpulse.stack.restarts import InfrastructureKeeper, ServiceKeeper
from orderpulse.stack.settings import StackSettings

Say = Callable[[str], None]


@dataclass
class RunningStack:
    settings: StackSettings
    database_url: str
    kafka_bootstrap: str
    enable_idempotence: bool
    credentials: dict[str, dict[str, str]]
    mail: MailSink
    public_urls: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def describe(self) -> dict:
        return {
            "services": self.services,
            "kafka_bootstrap": self.kafka_bootstrap,
            "database_url": self.database_url,
            "mail": self.mail.describe(),
            "api_keys": self.credentials["api_keys"],
            "signing_secrets": self.credentials["signing_secrets"],
        }

    def service_env(self, manifest: ServiceManifest) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "ORDERPULSE_SERVICE_NAME": manifest.name,
                "ORDERPULSE_DATABASE_URL": self.database_url,
                "ORDERPULSE_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                "ORDERPULSE_KAFKA_ENABLE_IDEMPOTENCE": "true" if self.enable_idempotence else "false",
                "ORDERPULSE_API_KEYS": orjson.dumps(self.credentials["api_keys"]).decode(),
                "ORDERPULSE_SIGNING_SECRETS": orjson.dumps(self.credentials["signing_secrets"]).decode(),
                "ORDERPULSE_PUBLIC_URLS": orjson.dumps(self.public_urls).decode(),
                **self.mail.service_env(),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env


def start_stack(settings: StackSettings, say: Say = print) -> RunningStack:
    """Start everything and return once every service answers /readyz; raises on failure (after cleanup)."""
    started_at = time.monotonic()
    state = settings.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    stack = RunningStack(
        settings=settings,
        database_url="",
        kafka_bootstrap="",
        enable_idempotence=bool(settings.kafka_enable_idempotence),
        credentials=credentials.load_or_create(state / "credentials.json", settings.carriers),
        mail=MailSink.of(settings),
    )
    manifests = installed_services()
    stack.public_urls = {manifest.name: f"http://{settings.host}:{_port(settings, manifest)}" for manifest in manifests}
    try:
        for manifest in manifests:
            ensure_port_free(settings.host, _port(settings, manifest), manifest.name)
        ensure_port_free(settings.host, settings.mail_smtp_port, "the mail sink's SMTP server")
        ensure_port_free(settings.host, settings.mail_http_port, "the mailbox page and SMS receiver")
        say(f"Mail: starting the SMTP sink on {stack.mail.smtp} and the mailbox on {stack.mail.page} ...")
        webhook_secret = stack.credentials["signing_secrets"][credentials.WEBHOOK_SECRET]
        stack.processes["mailbox"] = stack.mail.spawn(state, webhook_secret)
        if settings.database_url:
            stack.database_url = settings.database_url
            say("PostgreSQL: using ORDERPULSE_DATABASE_URL")
        else:
            say(f"PostgreSQL: starting the embedded server on {settings.host}:{settings.postgres_port} ...")
            stack.postgres = EmbeddedPostgres(
                state / "postgres", port=settings.postgres_port, host=settings.host, durable=settings.durable_postgres
            )
            stack.postgres.start()
            stack.database_url = stack.postgres.url()
            asyncio.run(ensure_database(stack.database_url, "orderpulse"))
        if settings.kafka_bootstrap:
            stack.kafka_bootstrap = settings.kafka_bootstrap
            stack.enable_idempotence = (
                True if settings.kafka_enable_idempotence is None else settings.kafka_enable_idempotence
            )
            say("Kafka: using ORDERPULSE_KAFKA_BOOTSTRAP")
        else:
            say(f"Kafka: starting the embedded Tansu broker on {settings.host}:{settings.kafka_port} ...")
            stack.broker = EmbeddedBroker(port=settings.kafka_port, host=settings.host, log_dir=state / "logs")
            stack.broker.start()
            stack.kafka_bootstrap = stack.broker.bootstrap
        topics = platform_topics(manifests)
        created = asyncio.run(
            ensure_topics(
                stack.kafka_bootstrap, topics, partitions=settings.topic_partitions,
                replication=settings.topic_replication,
            )
        )
        say(f"Kafka: {len(topics)} topics ready ({len(created)} created)")
        for manifest in manifests:
            say(f"{manifest.name}: migrating schema {manifest.schema} ...")
            upgrade(manifest.migrations, stack.database_url, manifest.schema)
        stack.mail.wait_ready(stack.processes["mailbox"], settings.ready_timeout_s, state / "logs" / "mailbox.log")
        say(f"Mail: ready, page at {stack.mail.page}")
        for manifest in manifests:
            port = _port(settings, manifest)
            stack.processes[manifest.name] = spawn(
                service_command(manifest, settings.host, port),
                log_path=state / "logs" / f"{manifest.name}.log",
                env=stack.service_env(manifest),
            )
            stack.services[manifest.name] = stack.public_urls[manifest.name]
        _wait_ready(stack, settings.ready_timeout_s, say)
        # secrets inside: private from the start (0600), and renamed into place, so a reader never sees it half written
        replace_file(state / "stack.json", orjson.dumps(stack.describe(), option=orjson.OPT_INDENT_2))
        say(f"OrderPulse is up in {time.monotonic() - started_at:.1f} s")
        return stack
    except BaseException:
        stop_stack(stack, say)
        raise


def service_command(manifest: ServiceManifest, host: str, port: int) -> list[str]:
    """The command line that runs a service under uvicorn, on the loop chosen for it (`event_loop.SERVICE_LOOPS`)."""
    return [
        sys.executable, "-m", "uvicorn", manifest.app, "--host", host, "--port", str(port),
        *uvicorn_loop_options(manifest.name), "--no-access-log", "--timeout-graceful-shutdown", "10",
    ]


def _port(settings: StackSettings, manifest: ServiceManifest) -> int:
    return settings.service_ports.get(manifest.name, manifest.port)


def _wait_ready(stack: RunningStack, timeout_s: float, say: Say) -> None:
    deadline = time.monotonic() + timeout_s
    pending = dict(stack.services)
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for name, url in list(pending.items()):
                process = stack.processes[name]
                if process.poll() is not None:
                    log = stack.settings.state_dir.resolve() / "logs" / f"{name}.log"
                    raise RuntimeError(f"{name} exited with code {process.returncode}; see {log}")
                try:
                    if client.get(url + "/readyz").status_code == 200:
                        say(f"{name}: ready at {url}")
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready within {timeout_s} s: {', '.join(pending)}; see .orderpulse/logs/")
            if pending:
                time.sleep(0.2)


def stop_stack(stack: RunningStack, say: Say = print) -> None:
    """Services first (they drain and commit), then the mailbox, the broker, PostgreSQL; stack.json goes too."""
    (stack.settings.state_dir.resolve() / "stack.json").unlink(missing_ok=True)
    for process in reversed(list(stack.processes.values())):
        stop(process, timeout_s=20)
    stack.processes.clear()
    if stack.broker is not None:
        stack.broker.stop()
        stack.broker = None
    if stack.postgres is not None:
        stack.postgres.stop()
        stack.postgres = None
    say("OrderPulse stopped")


def print_summary(stack: RunningStack, say: Say = print) -> None:
    state = stack.settings.state_dir.resolve()
    say("")
    say(f"{'service':<17} {'url':<24} docs")
    for name, url in stack.services.items():
        say(f"{name:<17} {url:<24} {url}/docs")
    say("")
    say(f"Mail and SMS      {stack.mail.page}  (SMTP {stack.mail.smtp}; `orderpulse mail` lists them)")
    say(f"Kafka bootstrap   {stack.kafka_bootstrap}")
    say(f"PostgreSQL        {stack.database_url}")
    say(f"API keys and signing secrets: {state / 'stack.json'} (also {state / 'credentials.json'})")
    say(f"Logs: {state / 'logs'}/")
    say("Press Ctrl-C to stop everything.")


def wait_for_signal(stack: RunningStack, say: Say = print) -> None:
    """Block until SIGINT/SIGTERM, restarting services that die (with backoff); then stop everything."""
    stopping = {"signal": None}

    def on_signal(signum, _frame) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    keepers = (InfrastructureKeeper(stack, say), ServiceKeeper(stack, say))
    try:
        while stopping["signal"] is None:
            for keeper in keepers:
                keeper.check()
            time.sleep(0.2)
    finally:
        say("stopping ...")
        stop_stack(stack, say)


def credentials_path(settings: StackSettings) -> Path:
    return settings.state_dir.resolve() / "credentials.json"
