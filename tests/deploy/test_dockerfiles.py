"""Every service has its own Dockerfile, all of one shape (deploy/docker/service.Dockerfile)."""

import dockerfile
import pytest
from deploy_support import REPO_ROOT, SERVICES, python, run
from orderpulse.event_loop import loop_of

SERVICE_NAMES = sorted(SERVICES)


def instructions(service: str) -> list:
    return list(dockerfile.parse_file(str(REPO_ROOT / "services" / service / "Dockerfile")))


def build_args(commands: list) -> dict[str, str]:
    """Global ARG defaults (those before the first FROM)."""
    args = {}
    for command in commands:
        if command.cmd == "FROM":
            break
        if command.cmd == "ARG" and "=" in command.value[0]:
            name, value = command.value[0].split("=", 1)
            args[name] = value
    return args


def stage_of(commands: list, name: str) -> list:
    stage, current = [], None
    for command in commands:
        if command.cmd == "FROM":
            current = command.value[-1] if "AS" in [v.upper() for v in command.value] else None
            continue
        if current == name:
            stage.append(command)
    return stage


def test_the_service_dockerfiles_are_the_template_with_their_arguments_filled_in():
    result = run([python(), "deploy/docker/render.py", "--check"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_dockerfile_names_its_service_package_and_port(service):
    package, port = SERVICES[service]
    assert build_args(instructions(service)) == {
        "PYTHON_IMAGE": "python:3.11-slim", "SERVICE": service, "PACKAGE": package, "PORT": str(port),
        "LOOP": loop_of(service),
    }


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_dockerfile_builds_in_a_stage_and_runs_from_a_slim_python_stage(service):
    froms = [command.value for command in instructions(service) if command.cmd == "FROM"]
    assert froms == [("${PYTHON_IMAGE}", "AS", "build"), ("${PYTHON_IMAGE}", "AS", "runtime")]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_dockerfile_installs_the_shared_library_before_the_service(service):
    build = [command.original for command in stage_of(instructions(service), "build")]
    steps = [
        build.index("COPY shared/ /build/shared/"),
        build.index("RUN pip install /build/shared"),
        build.index("COPY services/${SERVICE}/ /build/service/"),
        build.index("RUN pip install /build/service"),
    ]
    assert steps == sorted(steps)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_image_runs_as_a_non_root_user(service):
    runtime = stage_of(instructions(service), "runtime")
    users = [command.value[0] for command in runtime if command.cmd == "USER"]
    assert users == ["10001:10001"]
    after_user = runtime[[command.cmd for command in runtime].index("USER"):]
    assert not [command for command in after_user if command.cmd == "RUN"], "nothing runs as root after USER"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_image_checks_healthz_on_its_port_and_starts_uvicorn_on_its_app(service):
    runtime = stage_of(instructions(service), "runtime")
    env = {}
    for command in runtime:
        if command.cmd == "ENV":
            env.update(zip(command.value[::2], command.value[1::2], strict=True))
    assert env["APP_MODULE"] == "${PACKAGE}.main:app"
    assert env["APP_PORT"] == "${PORT}"
    assert env["APP_LOOP"] == "${LOOP}"
    [expose] = [command.value for command in runtime if command.cmd == "EXPOSE"]
    assert expose == ("${PORT}",)
    [healthcheck] = [command for command in runtime if command.cmd == "HEALTHCHECK"]
    assert healthcheck.value[0] == "CMD" and "/healthz" in healthcheck.value[-1]
    assert "os.environ['APP_PORT']" in healthcheck.value[-1]
    [cmd] = [command for command in runtime if command.cmd == "CMD"]
    assert cmd.json
    assert cmd.value[-1] == 'exec uvicorn "${APP_MODULE}" --host 0.0.0.0 --port "${APP_PORT}" --loop "${APP_LOOP}"'
