"""Kustomize overlays build; built-in kinds validate with kubernetes-validate, custom resources
against the operators' real CRD schemas vendored in tests/deploy/schemas (Strimzi 1.2,
CloudNativePG 1.30, the Barman Cloud plugin, prometheus-operator); the services are wired as the
spec says."""

import copy
import json
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
from deploy_support import (
    DLQ_TOPICS,
    REPO_ROOT,
    SERVICES,
    TOPICS,
    dashboards,
    load_yaml,
    python,
    rule_files,
    run,
)
from orderpulse.event_loop import loop_of

KUBERNETES_VERSION = "1.32.0"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
CUSTOM_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "barmancloud.cnpg.io", "monitoring.coreos.com")
OVERLAYS = ("dev", "prod")


def schema_for(document: dict) -> Path:
    group, version = document["apiVersion"].split("/")
    return SCHEMAS / group / f"{document['kind'].lower()}_{version}.json"


def validator_for(document: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_for(document).read_text()))


def is_custom(document: dict) -> bool:
    return document["apiVersion"].split("/")[0] in CUSTOM_GROUPS


def of_kind(documents: list[dict], kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def container(deployment: dict) -> dict:
    [main] = deployment["spec"]["template"]["spec"]["containers"]
    return main


def test_the_generated_manifests_are_current():
    result = run([python(), "deploy/k8s/generate.py", "--check"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_holds_every_kind_the_architecture_names(built_overlays, overlay):
    kinds = {document["kind"] for document in built_overlays[overlay]}
    assert {
        "Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule", "Kafka", "KafkaNodePool", "KafkaTopic",
        "Cluster", "Database", "ScheduledBackup", "ObjectStore", "PodMonitor", "NetworkPolicy",
    } <= kinds


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_built_in_kind_validates_against_the_kubernetes_schemas(built_overlays, overlay):
    for document in built_overlays[overlay]:
        if not is_custom(document):
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_validates_against_its_vendored_crd_schema(built_overlays, overlay):
    for document in built_overlays[overlay]:
        if is_custom(document):
            assert schema_for(document).exists(), f"no vendored schema for {document['apiVersion']} {document['kind']}"
            errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator_for(document).iter_errors(document)]
            assert not errors, f"{document['kind']} {document['metadata']['name']}: {errors}"


@pytest.mark.parametrize("kind, path", [
    ("Kafka", ("spec", "kafka", "listenres")),
    ("KafkaNodePool", ("spec", "role")),
    ("KafkaTopic", ("spec", "partition")),
    ("Cluster", ("spec", "instance")),
    ("Database", ("spec", "ownr")),
    ("ScheduledBackup", ("spec", "schedul")),
    ("ObjectStore", ("spec", "configuration", "destinationPth")),
    ("PodMonitor", ("spec", "podMetricsEndpoints", 0, "prot")),
    ("ServiceMonitor", ("spec", "endpoints", 0, "honourLabels")),
    ("PrometheusRule", ("spec", "groups", 0, "rulez")),
])
def test_the_vendored_schemas_reject_a_misspelt_field(built_overlays, kind, path):
    document = copy.deepcopy(next(d for d in built_overlays["prod"] if d["kind"] == kind))
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = "x"
    assert list(validator_for(document).iter_errors(document))


def test_kubernetes_validate_rejects_a_misspelt_field(built_overlays):
    deployment = copy.deepcopy(of_kind(built_overlays["prod"], "Deployment")["order-svc"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_serves_its_port_with_readyz_and_healthz_probes(built_overlays, overlay, service):
    package, port = SERVICES[service]
    documents = built_overlays[overlay]
    main = container(of_kind(documents, "Deployment")[service])
    assert main["command"] == [
        "uvicorn", f"{package}.main:app", "--host", "0.0.0.0", "--port", str(port), "--loop", loop_of(service),
    ]
    assert main["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    k8s_service = of_kind(documents, "Service")[service]
    assert k8s_service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
    assert k8s_service["spec"]["selector"] == {"app.kubernetes.io/name": service}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_runs_as_non_root_with_a_read_only_root_and_no_capabilities(built_overlays, service):
    pod = of_kind(built_overlays["prod"], "Deployment")[service]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["automountServiceAccountToken"] is False
    for each in pod["containers"] + pod["initContainers"]:
        assert each["securityContext"] == {
            "runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert each["resources"]["requests"] and each["resources"]["limits"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_migrates_its_database_before_it_starts(built_overlays, service):
    pod = of_kind(built_overlays["prod"], "Deployment")[service]["spec"]["template"]["spec"]
    [migrate] = pod["initContainers"]
    assert migrate["command"] == ["orderpulse", "migrate", service]
    assert migrate["image"] == container(of_kind(built_overlays["prod"], "Deployment")[service])["image"]
    assert migrate["env"] == container(of_kind(built_overlays["prod"], "Deployment")[service])["env"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_reads_the_configmap_the_secret_and_its_own_database(built_overlays, service):
    package, _ = SERVICES[service]
    documents = built_overlays["prod"]
    main = container(of_kind(documents, "Deployment")[service])
    [config_map_name] = [ref["configMapRef"]["name"] for ref in main["envFrom"] if "configMapRef" in ref]
    assert [ref["secretRef"]["name"] for ref in main["envFrom"] if "secretRef" in ref] == ["orderpulse-secrets"]
    config = of_kind(documents, "ConfigMap")[config_map_name]["data"]
    assert config["ORDERPULSE_KAFKA_BOOTSTRAP"] == "orderpulse-kafka-bootstrap:9092"
    assert config["ORDERPULSE_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert config["ORDERPULSE_ENVIRONMENT"] == "production"
    env = {item["name"]: item for item in main["env"]}
    assert env["ORDERPULSE_DATABASE_URL"]["value"] == (
        f"postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@orderpulse-db-rw:5432/{package}")
    assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "orderpulse-db-app", "key": "password"}
    assert package in {database["spec"]["name"] for database in of_kind(documents, "Database").values()}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_has_a_disruption_budget_and_a_scrape_target(built_overlays, service):
    documents = built_overlays["prod"]
    budget = of_kind(documents, "PodDisruptionBudget")[service]
    assert budget["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": service}}
    monitor = of_kind(documents, "ServiceMonitor")[service]
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": service}}
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "15s", "honorLabels": True}]


def test_consumers_scale_on_consumer_lag_and_request_driven_services_on_cpu(built_overlays):
    autoscalers = of_kind(built_overlays["prod"], "HorizontalPodAutoscaler")
    assert set(autoscalers) == set(SERVICES)
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        metric_types = [metric["type"] for metric in autoscaler["spec"]["metrics"]]
        assert "Resource" in metric_types
    for consumer in ("kpi-svc", "notify-svc"):
        [external] = [m["external"] for m in autoscalers[consumer]["spec"]["metrics"] if m["type"] == "External"]
        assert external["metric"] == {"name": "orderpulse_consumer_lag",
                                      "selector": {"matchLabels": {"service": consumer}}}
        assert autoscalers[consumer]["spec"]["maxReplicas"] <= 12, "more replicas than partitions would idle"
    for http_service in ("order-svc", "fulfillment-svc", "feedback-svc"):
        assert [m["type"] for m in autoscalers[http_service]["spec"]["metrics"]] == ["Resource"]


def release_version() -> str:
    return re.search(r'^version = "([^"]+)"', (REPO_ROOT / "shared" / "pyproject.toml").read_text(), re.MULTILINE).group(1)


def test_the_overlays_differ_in_namespace_scale_and_resources(built_overlays):
    dev = of_kind(built_overlays["dev"], "Deployment")
    prod = of_kind(built_overlays["prod"], "Deployment")
    dev_scalers = of_kind(built_overlays["dev"], "HorizontalPodAutoscaler")
    prod_scalers = of_kind(built_overlays["prod"], "HorizontalPodAutoscaler")
    for service in SERVICES:
        assert dev[service]["metadata"]["namespace"] == "orderpulse-dev"
        assert prod[service]["metadata"]["namespace"] == "orderpulse"
        assert dev_scalers[service]["spec"]["minReplicas"] == 1 and prod_scalers[service]["spec"]["minReplicas"] == 3
        assert container(dev[service])["resources"] != container(prod[service])["resources"]
    [dev_config] = [cm for name, cm in of_kind(built_overlays["dev"], "ConfigMap").items()
                    if name.startswith("orderpulse-config-")]
    assert dev_config["data"]["ORDERPULSE_ENVIRONMENT"] == "test"
    assert of_kind(built_overlays["dev"], "KafkaNodePool")["dual-role"]["spec"]["replicas"] == 1
    assert of_kind(built_overlays["prod"], "KafkaNodePool")["dual-role"]["spec"]["replicas"] == 3
    assert of_kind(built_overlays["dev"], "Cluster")["orderpulse-db"]["spec"]["instances"] == 1
    assert of_kind(built_overlays["prod"], "Cluster")["orderpulse-db"]["spec"]["instances"] == 3


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_deployment_an_autoscaler_controls_sets_replicas(built_overlays, overlay):
    scaled = {hpa["spec"]["scaleTargetRef"]["name"]
              for hpa in of_kind(built_overlays[overlay], "HorizontalPodAutoscaler").values()}
    deployments = of_kind(built_overlays[overlay], "Deployment")
    assert scaled == set(deployments)
    for name in scaled:
        assert "replicas" not in deployments[name]["spec"], f"{overlay}: {name} sets replicas under an HPA"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_pinned_to_a_full_version(built_overlays, overlay):
    deployments = of_kind(built_overlays[overlay], "Deployment").values()
    images = [each["image"] for document in deployments
              for each in document["spec"]["template"]["spec"]["containers"]
              + document["spec"]["template"]["spec"]["initContainers"]]
    postgres_image = of_kind(built_overlays[overlay], "Cluster")["orderpulse-db"]["spec"]["imageName"]
    for image in [*images, postgres_image]:
        assert re.search(r":v?\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$", image), f"{image} is not pinned to a version"
    for document in deployments:
        assert container(document)["image"].endswith(":" + release_version())
    # PostgreSQL pinned by minor version (18.x), Kafka to a release Strimzi 1.2 runs (4.2 or 4.3).
    assert re.search(r"/postgresql:18\.\d+-", postgres_image)
    kafka_version = of_kind(built_overlays[overlay], "Kafka")["orderpulse"]["spec"]["kafka"]["version"]
    assert re.fullmatch(r"4\.[23]\.\d+", kafka_version)


def test_every_deployed_service_is_a_real_package(built_overlays):
    compose = load_yaml(REPO_ROOT / "docker-compose.yml")["services"]
    deployed = {name for name in compose if (REPO_ROOT / "services" / name).is_dir()}
    for overlay in OVERLAYS:
        deployed |= set(of_kind(built_overlays[overlay], "Deployment"))
    assert deployed == set(SERVICES)
    missing = sorted(name for name in deployed if not (REPO_ROOT / "services" / name / "pyproject.toml").exists())
    assert not missing, f"deployed but no installable package (services/<svc>/pyproject.toml): {missing}"


def test_kafka_runs_kraft_node_pools_on_the_strimzi_v1_api(built_overlays):
    [kafka] = of_kind(built_overlays["prod"], "Kafka").values()
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1"
    # Strimzi 1.x is KRaft with node pools only: the old feature annotations are gone.
    assert not {"strimzi.io/node-pools", "strimzi.io/kraft"} & set(kafka["metadata"].get("annotations", {}))
    [pool] = of_kind(built_overlays["prod"], "KafkaNodePool").values()
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    topics = of_kind(built_overlays["prod"], "KafkaTopic").values()
    assert {topic["apiVersion"] for topic in topics} == {"kafka.strimzi.io/v1"}


def test_postgres_archives_wal_and_backs_up_nightly_through_the_barman_cloud_plugin(built_overlays):
    documents = built_overlays["prod"]
    cluster = of_kind(documents, "Cluster")["orderpulse-db"]
    [plugin] = cluster["spec"]["plugins"]
    assert plugin["name"] == "barman-cloud.cloudnative-pg.io" and plugin["isWALArchiver"] is True
    store = of_kind(documents, "ObjectStore")[plugin["parameters"]["barmanObjectName"]]
    assert store["spec"]["configuration"]["destinationPath"].startswith("s3://")
    assert store["spec"]["retentionPolicy"] == "30d"
    [backup] = of_kind(documents, "ScheduledBackup").values()
    assert backup["spec"]["cluster"] == {"name": "orderpulse-db"}
    assert backup["spec"]["method"] == "plugin"
    assert backup["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    assert len(backup["spec"]["schedule"].split()) == 6, "CloudNativePG schedules have a seconds field"
    [monitor] = of_kind(documents, "PodMonitor").values()
    assert monitor["spec"]["selector"] == {"matchLabels": {"cnpg.io/cluster": "orderpulse-db"}}
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics"}]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_accepts_connections_on_its_http_port_only(built_overlays, service):
    policy = of_kind(built_overlays["prod"], "NetworkPolicy")[service]
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": service}}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]


def test_only_the_services_and_the_other_instances_reach_postgres(built_overlays):
    documents = built_overlays["prod"]
    policy = of_kind(documents, "NetworkPolicy")["orderpulse-db"]
    [database_rule] = [rule for rule in policy["spec"]["ingress"] if {"port": 5432, "protocol": "TCP"} in rule["ports"]]
    allowed = [peer["podSelector"]["matchLabels"] for peer in database_rule["from"]]
    for deployment in of_kind(documents, "Deployment").values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(selector.items() <= labels.items() for selector in allowed), deployment["metadata"]["name"]
    assert {"cnpg.io/cluster": "orderpulse-db"} in allowed


def test_every_topic_has_12_partitions_3_replicas_and_the_customers_topic_is_compacted(built_overlays):
    topics = {topic["spec"]["topicName"]: topic["spec"] for topic in of_kind(built_overlays["prod"], "KafkaTopic").values()}
    assert set(topics) == set(TOPICS) | set(DLQ_TOPICS)
    for name, spec in topics.items():
        assert spec["partitions"] == 12 and spec["replicas"] == 3, name
        assert (spec["config"].get("cleanup.policy") == "compact") == (name == "orderpulse.customers"), name


def test_the_prometheus_rules_are_the_rule_files(built_overlays):
    rules = of_kind(built_overlays["prod"], "PrometheusRule")
    for path in rule_files():
        name = "orderpulse-" + path.name.removesuffix(".rules.yml")
        assert rules[name]["spec"]["groups"] == load_yaml(path)["groups"]


def test_the_grafana_dashboards_ship_as_labelled_config_maps(built_overlays):
    config_maps = [cm for cm in of_kind(built_overlays["prod"], "ConfigMap").values()
                   if cm["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    shipped = {name: json.loads(text) for cm in config_maps for name, text in cm["data"].items()}
    assert shipped == dashboards()
