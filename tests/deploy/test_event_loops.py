"""Every way a service is launched runs it on the one event loop chosen for it
(`orderpulse.event_loop.SERVICE_LOOPS`): the embedded stack's supervisor, docker-compose.yml, the
images' command line, the Kubernetes Deployments, and the benchmarks' default when they measure it.
A loop changed in one place only would make the benchmarks measure a process that does not run."""

from pathlib import Path

import dockerfile
import pytest
from deploy_support import REPO_ROOT, SERVICES, load_yaml
from orderpulse.event_loop import LOOPS, SERVICE_LOOPS, uvicorn_loop_options
from orderpulse.services import ServiceManifest
from orderpulse.stack.supervisor import service_command
from orderpulse.testing.bench_scripts import load_bench_script

OVERLAYS = ("dev", "prod")
BENCH = REPO_ROOT / "bench"


def loop_in(command: list[str] | tuple[str, ...]) -> str:
    """The value of `--loop` in a uvicorn command line; the test fails if there is not exactly one."""
    assert list(command).count("--loop") == 1, f"no single --loop in {command}"
    return command[list(command).index("--loop") + 1]


def test_every_service_has_one_of_the_two_loops_chosen():
    assert set(SERVICE_LOOPS) == set(SERVICES)
    assert set(SERVICE_LOOPS.values()) <= set(LOOPS) == {"uvloop", "asyncio"}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_embedded_stack_starts_the_service_on_its_loop(service):
    package, port = SERVICES[service]
    manifest = ServiceManifest(service, f"{package}.main:app", port, Path("."))
    command = service_command(manifest, "127.0.0.1", port)
    assert loop_in(command) == SERVICE_LOOPS[service]
    assert uvicorn_loop_options(service) == ["--loop", SERVICE_LOOPS[service]]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_docker_compose_starts_the_service_on_its_loop(service):
    compose = load_yaml(REPO_ROOT / "docker-compose.yml")
    assert loop_in(compose["services"][service]["command"]) == SERVICE_LOOPS[service]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_image_starts_the_service_on_its_loop(service):
    commands = list(dockerfile.parse_file(str(REPO_ROOT / "services" / service / "Dockerfile")))
    defaults = dict(command.value[0].split("=", 1) for command in commands if command.cmd == "ARG" and "=" in command.value[0])
    [cmd] = [command for command in commands if command.cmd == "CMD"]
    assert '--loop "${APP_LOOP}"' in cmd.value[-1]
    assert any(command.cmd == "ENV" and "APP_LOOP=${LOOP}" in command.original for command in commands)
    assert defaults["LOOP"] == SERVICE_LOOPS[service]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_kubernetes_starts_the_service_on_its_loop(built_overlays, overlay, service):
    [deployment] = [document for document in built_overlays[overlay]
                    if document["kind"] == "Deployment" and document["metadata"]["name"] == service]
    [main] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == service]
    assert loop_in(main["command"]) == SERVICE_LOOPS[service]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_benchmarks_measure_the_service_on_its_loop_unless_told_otherwise(service):
    harness = load_bench_script(BENCH, "_harness")
    assert harness.resolve_loop(None, service) == SERVICE_LOOPS[service]
    assert harness.resolve_loop("asyncio", service) == "asyncio"
    assert harness.resolve_loop("uvloop", service) == "uvloop"


def test_each_consumer_benchmark_names_the_service_whose_loop_it_runs_on():
    consumers = load_bench_script(BENCH, "consumer_dedup_bench")
    assert consumers.HANDLER_SERVICES == {
        "notify": "notify-svc", "notify-per-event": "notify-svc", "order": "order-svc",
        "fulfillment": "fulfillment-svc", "feedback": "feedback-svc",
    }
