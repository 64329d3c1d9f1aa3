"""Which PostgreSQL and Kafka the tests use: external, containers or embedded."""

import pytest
from orderpulse.testing.infrastructure import BackendChoice, choose_backends


def no_docker() -> bool:
    return False


def docker() -> bool:
    return True


def test_without_docker_and_without_external_settings_everything_is_embedded():
    assert choose_backends({}, no_docker) == BackendChoice(database="embedded", kafka="embedded")


def test_with_a_docker_engine_the_containers_are_used():
    assert choose_backends({}, docker) == BackendChoice(database="containers", kafka="containers")


def test_external_settings_win_over_everything():
    env = {"ORDERPULSE_TEST_DATABASE_URL": "postgresql+asyncpg://x/y", "ORDERPULSE_TEST_KAFKA_BOOTSTRAP": "k:9092"}
    assert choose_backends(env, docker) == BackendChoice(database="external", kafka="external")


def test_docker_is_not_even_asked_when_both_parts_are_external():
    def must_not_be_called() -> bool:
        raise AssertionError("docker was probed")

    env = {"ORDERPULSE_TEST_DATABASE_URL": "u", "ORDERPULSE_TEST_KAFKA_BOOTSTRAP": "b"}
    assert choose_backends(env, must_not_be_called).database == "external"


def test_one_external_part_is_mixed_with_the_default_for_the_other():
    env = {"ORDERPULSE_TEST_KAFKA_BOOTSTRAP": "k:9092"}
    assert choose_backends(env, no_docker) == BackendChoice(database="embedded", kafka="external")


def test_the_backend_can_be_forced_to_embedded_even_with_docker():
    assert choose_backends({"ORDERPULSE_TEST_BACKEND": "embedded"}, docker).kafka == "embedded"


def test_an_unknown_forced_backend_is_refused():
    with pytest.raises(ValueError, match="ORDERPULSE_TEST_BACKEND"):
        choose_backends({"ORDERPULSE_TEST_BACKEND": "podman"}, no_docker)


def test_this_machine_has_no_docker_engine_so_the_probe_says_no():
    from orderpulse.testing.infrastructure import docker_engine_available

    # the docker client may be installed, but no engine answers here: the probe must not hang or lie
    assert docker_engine_available(timeout_s=1.0) in (False, True)
