"""How many PostgreSQL connections a deployment may open at once, read from its manifests and from
the constants of the code's pools (docs/deploy-decisions.md, "PostgreSQL connections").

A service process holds at most `DATABASE_CONNECTIONS_PER_POOL_SIZE` (its bootstrap's) times its
`ORDERPULSE_DATABASE_POOL_SIZE` connections: its pools keep what they opened. The replicas that can
run at once are the autoscaler's `maxReplicas`, the rolling update's surge above it, and one pod
more still terminating (it holds its connections through `preStop` and the drain while the next
surge pod starts). The Cluster's memory must hold `shared_buffers` and every connection.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass

from deploy_support import SERVICES
from orderpulse.settings import PlatformSettings

POOL_SIZE_ENV = "ORDERPULSE_DATABASE_POOL_SIZE"
DEFAULT_POOL_SIZE: int = PlatformSettings.model_fields["database_pool_size"].default
# PostgreSQL's defaults for what the manifests may leave unset
POSTGRES_DEFAULTS = {"max_connections": 100, "superuser_reserved_connections": 3, "reserved_connections": 0}
# What CloudNativePG holds on the primary besides the services, generously: its instance manager's
# own connections (status, the metrics exporter's queries, reconciling roles and databases), each
# replica's instance manager reading the primary's replication slots, a base backup of the Barman
# Cloud plugin, a pg_rewind after a failover. Streaming replication itself runs on WAL senders,
# which PostgreSQL (12 and later) counts under max_wal_senders, not max_connections.
OPERATOR_CONNECTIONS = 10
# pods that hold connections besides the replicas and the surge: the one a rolling update is replacing
TERMINATING_PODS = 1


def connections_per_pool_size(service: str) -> int:
    package, _port = SERVICES[service]
    return importlib.import_module(f"{package}.bootstrap").DATABASE_CONNECTIONS_PER_POOL_SIZE


@dataclass(frozen=True)
class ServiceLine:
    service: str
    pods: int
    pool_size: int
    per_pod: int

    @property
    def connections(self) -> int:
        return self.pods * self.per_pod

    def __str__(self) -> str:
        return f"{self.service}: {self.pods} pods x {self.per_pod} (pool size {self.pool_size}) = {self.connections}"


@dataclass(frozen=True)
class Budget:
    services: tuple[ServiceLine, ...]
    reserved: int  # superuser_reserved_connections + reserved_connections
    operator: int
    max_connections: int

    @property
    def wanted(self) -> int:
        return sum(line.connections for line in self.services) + self.reserved + self.operator

    def explain(self) -> str:
        lines = [str(line) for line in self.services]
        lines.append(f"reserved slots {self.reserved}, CloudNativePG {self.operator}")
        lines.append(f"in all {self.wanted} against max_connections {self.max_connections}")
        return "\n".join(lines)


def pool_size(container: dict, config_maps: dict[str, dict]) -> int:
    """The container's ORDERPULSE_DATABASE_POOL_SIZE: its env, else a ConfigMap it reads, else the code's default."""
    for variable in container.get("env", []):
        if variable["name"] == POOL_SIZE_ENV:
            return int(variable["value"])
    for source in container.get("envFrom", []):
        data = config_maps.get(source.get("configMapRef", {}).get("name"), {}).get("data", {})
        if POOL_SIZE_ENV in data:
            return int(data[POOL_SIZE_ENV])
    return DEFAULT_POOL_SIZE


def surge(deployment: dict, replicas: int) -> int:
    """The pods a rolling update adds above `replicas` (Kubernetes' default: 25 %, rounded up)."""
    strategy = deployment["spec"].get("strategy", {})
    if strategy.get("type") == "Recreate":
        return 0
    value = strategy.get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(replicas * int(value[:-1]) / 100)
    return int(value)


def postgres_parameters(parameters: dict) -> dict[str, int]:
    return {name: int(parameters.get(name, default)) for name, default in POSTGRES_DEFAULTS.items()}


def of_kind(documents: list[dict], kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def kubernetes_budget(documents: list[dict]) -> Budget:
    """The most connections an overlay's services may hold, against its one CloudNativePG Cluster."""
    deployments = of_kind(documents, "Deployment")
    config_maps = of_kind(documents, "ConfigMap")
    lines = []
    for autoscaler in of_kind(documents, "HorizontalPodAutoscaler").values():
        name = autoscaler["spec"]["scaleTargetRef"]["name"]
        deployment = deployments[name]
        replicas = autoscaler["spec"]["maxReplicas"]
        pods = replicas + surge(deployment, replicas) + TERMINATING_PODS
        # init containers (`orderpulse migrate`, one connection) end before the service starts
        containers = deployment["spec"]["template"]["spec"]["containers"]
        sizes = [pool_size(container, config_maps) for container in containers]
        per_pod = sum(connections_per_pool_size(name) * size for size in sizes)
        lines.append(ServiceLine(name, pods, max(sizes), per_pod))
    [cluster] = of_kind(documents, "Cluster").values()
    parameters = postgres_parameters(cluster["spec"].get("postgresql", {}).get("parameters", {}))
    return Budget(
        services=tuple(lines),
        reserved=parameters["superuser_reserved_connections"] + parameters["reserved_connections"],
        operator=OPERATOR_CONNECTIONS,
        max_connections=parameters["max_connections"],
    )


_SETTING = re.compile(r"^([a-z_]+)=(\d+)$")


def compose_budget(compose: dict) -> Budget:
    """docker-compose.yml: one replica of each service (or `deploy.replicas`), each one-shot
    migration counted as if it ran beside them, against the postgres service's settings (`-c`)."""
    services = compose["services"]
    lines = []
    for name in SERVICES:
        service = services[name]
        replicas = service.get("deploy", {}).get("replicas", 1)
        size = int(service.get("environment", {}).get(POOL_SIZE_ENV, DEFAULT_POOL_SIZE))
        lines.append(ServiceLine(name, replicas, size, connections_per_pool_size(name) * size))
        if f"{name}-migrate" in services:
            lines.append(ServiceLine(f"{name}-migrate", 1, 1, 1))
    command = services["postgres"].get("command", [])
    settings = dict(match.groups() for match in map(_SETTING.match, command) if match)
    parameters = postgres_parameters(settings)
    return Budget(
        services=tuple(lines),
        reserved=parameters["superuser_reserved_connections"] + parameters["reserved_connections"],
        operator=0,
        max_connections=parameters["max_connections"],
    )


# What one connection costs PostgreSQL's memory, counted generously: a warmed service connection's
# own memory (private dirty pages, catalog caches and prepared statements) measured 3.5 - 7.4 MB.
CONNECTION_MEMORY_MB = 6
_QUANTITY = re.compile(r"^(\d+)(kB|MB|GB|Ki|Mi|Gi)$")
_MB = {"kB": 1 / 1024, "MB": 1, "GB": 1024, "Ki": 1 / 1024, "Mi": 1, "Gi": 1024}


def megabytes(quantity: str) -> float:
    """`512MB` (PostgreSQL) or `2Gi` (Kubernetes) in MB of 1024 * 1024 bytes."""
    number, unit = _QUANTITY.match(quantity).groups()
    return int(number) * _MB[unit]


def memory_wanted_mb(cluster: dict) -> float:
    """shared_buffers and CONNECTION_MEMORY_MB for each of max_connections."""
    parameters = cluster["spec"]["postgresql"]["parameters"]
    connections = postgres_parameters(parameters)["max_connections"]
    return megabytes(parameters["shared_buffers"]) + connections * CONNECTION_MEMORY_MB
