"""docker-compose.yml: valid against the compose spec, and wired the way architecture.md says."""

import re
import shutil

import pytest
from deploy_support import DEPLOY, DLQ_TOPICS, REPO_ROOT, SERVICES, TOPICS, load_yaml, run
from orderpulse.event_loop import loop_of

COMPOSE = load_yaml(REPO_ROOT / "docker-compose.yml")
SERVICE_NAMES = sorted(SERVICES)


def test_the_compose_file_validates_against_the_compose_spec():
    check_jsonschema = shutil.which("check-jsonschema", path=str(REPO_ROOT / ".venv" / "bin")) or shutil.which(
        "check-jsonschema")
    assert check_jsonschema, "check-jsonschema not installed"
    result = run([check_jsonschema, "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_is_built_from_its_own_dockerfile_and_serves_its_port(service):
    package, port = SERVICES[service]
    definition = COMPOSE["services"][service]
    assert definition["build"] == {"context": ".", "dockerfile": f"services/{service}/Dockerfile"}
    assert definition["command"] == [
        "uvicorn", f"{package}.main:app", "--host", "0.0.0.0", "--port", str(port), "--loop", loop_of(service),
    ]
    assert definition["ports"] == [f"{port}:{port}"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_reports_healthy_when_readyz_answers_on_its_port(service):
    _, port = SERVICES[service]
    check = COMPOSE["services"][service]["healthcheck"]["test"]
    assert check[0] == "CMD"
    assert f"http://127.0.0.1:{port}/readyz" in check[-1]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_starts_after_its_migration_the_topics_and_a_healthy_kafka(service):
    depends_on = COMPOSE["services"][service]["depends_on"]
    assert depends_on[f"{service}-migrate"] == {"condition": "service_completed_successfully"}
    assert depends_on["topic-init"] == {"condition": "service_completed_successfully"}
    assert depends_on["kafka"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_migration_is_a_one_shot_orderpulse_migrate_after_postgres_is_healthy(service):
    migrate = COMPOSE["services"][f"{service}-migrate"]
    assert migrate["command"] == ["orderpulse", "migrate", service]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["image"] == COMPOSE["services"][service]["image"]
    # The same settings as the service it migrates, so it reaches the same database.
    assert migrate["environment"].items() <= COMPOSE["services"][service]["environment"].items()
    assert "ORDERPULSE_DATABASE_URL" in migrate["environment"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_has_its_own_database_and_the_shared_settings(service):
    package, _ = SERVICES[service]
    environment = COMPOSE["services"][service]["environment"]
    assert environment["ORDERPULSE_DATABASE_URL"] == (
        f"postgresql+asyncpg://orderpulse:${{POSTGRES_PASSWORD}}@postgres:5432/{package}")
    assert environment["ORDERPULSE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert environment["ORDERPULSE_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert environment["ORDERPULSE_ENVIRONMENT"] == "${ORDERPULSE_ENVIRONMENT:-local}"


def test_secrets_come_from_the_environment_and_must_be_set():
    environment = COMPOSE["services"]["order-svc"]["environment"]
    for name in ("ORDERPULSE_API_KEYS", "ORDERPULSE_SIGNING_SECRETS"):
        assert environment[name].startswith(f"${{{name}:?"), name
    assert COMPOSE["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert COMPOSE["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"].startswith(
        "${GRAFANA_ADMIN_PASSWORD:?")


def test_env_example_sets_every_variable_compose_requires():
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (REPO_ROOT / "docker-compose.yml").read_text()))
    example = {line.split("=", 1)[0] for line in (REPO_ROOT / ".env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    assert required == {"POSTGRES_PASSWORD", "ORDERPULSE_API_KEYS", "ORDERPULSE_SIGNING_SECRETS",
                        "GRAFANA_ADMIN_PASSWORD"}
    assert required <= example


def test_postgres_18_creates_one_database_per_service():
    postgres = COMPOSE["services"]["postgres"]
    assert re.fullmatch(r"postgres:18\.\d+", postgres["image"])
    sql = (DEPLOY / "compose" / "postgres" / "init-databases.sql").read_text()
    assert sorted(re.findall(r"CREATE DATABASE (\w+);", sql)) == sorted(package for package, _ in SERVICES.values())
    assert "./deploy/compose/postgres/init-databases.sql:/docker-entrypoint-initdb.d/10-databases.sql:ro" in postgres["volumes"]


def test_every_third_party_image_is_pinned_to_a_full_version():
    for name, service in COMPOSE["services"].items():
        image = service.get("image", "")
        if image.startswith("orderpulse/"):
            continue  # built here from the checkout (`build:`), tagged ORDERPULSE_IMAGE_TAG
        assert re.fullmatch(r"[a-z0-9./-]+:v?\d+\.\d+(\.\d+)?", image), f"{name}: {image}"


def test_kafka_is_a_single_kraft_node_without_topic_auto_creation():
    kafka = COMPOSE["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in kafka


def test_topic_init_creates_every_topic_with_12_partitions_and_a_compacted_customers_topic():
    topic_init = COMPOSE["services"]["topic-init"]
    assert topic_init["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert topic_init["environment"]["TOPIC_PARTITIONS"] == "12"
    script = (DEPLOY / "compose" / "kafka" / "create-topics.sh").read_text()
    created = re.findall(r"^create (orderpulse\.[a-z]+)", script, re.MULTILINE)
    assert created == list(TOPICS)
    assert "create orderpulse.customers --config cleanup.policy=compact" in script
    services_loop = re.search(r"for service in ([a-z\- ]+); do\n\s+create \"orderpulse\.dlq\.\$\{service\}\"", script)
    assert services_loop and tuple(f"orderpulse.dlq.{s}" for s in services_loop.group(1).split()) == DLQ_TOPICS


def test_prometheus_alertmanager_grafana_and_mailpit_are_provisioned_from_deploy():
    services = COMPOSE["services"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert "./deploy/alertmanager:/etc/alertmanager:ro" in services["alertmanager"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in services["grafana"]["volumes"]
    assert "./deploy/grafana/dashboards:/etc/grafana/dashboards:ro" in services["grafana"]["volumes"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    assert services["notify-svc"]["environment"]["ORDERPULSE_SMTP_HOST"] == "mailpit"
    alertmanager_config = load_yaml(DEPLOY / "alertmanager" / "alertmanager.yml")
    assert alertmanager_config["global"]["smtp_smarthost"] == "mailpit:1025"
