"""PostgreSQL connections fit at full scale: every replica the autoscalers may run, each holding all
that its pools may open, with what CloudNativePG needs itself, stays within the Cluster's
max_connections in every overlay (and compose's services within its PostgreSQL's); and the
per-process figure the budget uses counts every pool a service builds."""

import ast
from pathlib import Path

import pytest
from connection_budget import (
    POOL_SIZE_ENV,
    compose_budget,
    connections_per_pool_size,
    kubernetes_budget,
    megabytes,
    memory_wanted_mb,
    of_kind,
)
from deploy_support import REPO_ROOT, SERVICES, load_yaml
from orderpulse.db.direct import MAX_CONNECTIONS_PER_SIZE
from orderpulse.db.engine import MAX_CONNECTIONS_PER_POOL_SIZE
from orderpulse.pool_platform import PoolPlatform
from orderpulse.runtime import Platform

OVERLAYS = ("dev", "prod")
# What each way of reaching PostgreSQL holds per unit of the pool size; `None`: not budgeted.
POOL_BUILDERS = {
    "Platform": Platform.MAX_CONNECTIONS_PER_POOL_SIZE,
    "PoolPlatform": PoolPlatform.MAX_CONNECTIONS_PER_POOL_SIZE,
    "DirectConnections": MAX_CONNECTIONS_PER_SIZE,
    "create_engine": MAX_CONNECTIONS_PER_POOL_SIZE,
    "create_async_engine": None,
    "asyncpg.connect": None,
    "asyncpg.create_pool": None,
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_services_at_their_most_replicas_fit_max_connections(built_overlays, overlay):
    budget = kubernetes_budget(built_overlays[overlay])
    assert {line.service for line in budget.services} == set(SERVICES)
    wanted, limit = budget.wanted, budget.max_connections
    assert wanted <= limit, f"{overlay} can ask for too many connections:\n{budget.explain()}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_has_the_memory_for_max_connections(built_overlays, overlay):
    [cluster] = of_kind(built_overlays[overlay], "Cluster").values()
    resources = cluster["spec"]["resources"]
    wanted, limit = memory_wanted_mb(cluster), megabytes(resources["limits"]["memory"])
    assert wanted <= limit, f"{overlay}: shared_buffers and max_connections want {wanted:.0f} MB"
    # requested in full: the scheduler places the instance where that memory is
    assert megabytes(resources["requests"]["memory"]) == limit


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_sets_its_pool_size_in_every_overlay(built_overlays, overlay):
    for name, deployment in of_kind(built_overlays[overlay], "Deployment").items():
        [main] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name]
        assert POOL_SIZE_ENV in {variable["name"] for variable in main.get("env", [])}, f"{overlay}: {name}"


def test_the_compose_services_fit_their_postgres():
    budget = compose_budget(load_yaml(REPO_ROOT / "docker-compose.yml"))
    wanted, limit = budget.wanted, budget.max_connections
    assert wanted <= limit, f"compose can ask for too many connections:\n{budget.explain()}"


def _builders(paths: list[Path]) -> list[str]:
    """The calls in `paths` that build a way to PostgreSQL (POOL_BUILDERS' names), one entry per call site."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            if isinstance(function, ast.Name):
                name = function.id
            elif isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
                name = f"{function.value.id}.{function.attr}"
            else:
                continue
            if name in POOL_BUILDERS:
                found.append(name)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_budget_counts_every_pool_the_service_builds(service):
    package, _port = SERVICES[service]
    source = REPO_ROOT / "services" / service / "src" / package
    # migrations run in their own process (`orderpulse migrate`, an init container) before the service
    paths = [path for path in source.rglob("*.py") if "alembic" not in path.relative_to(source).parts]
    builders = _builders(paths)
    unbudgeted = [name for name in builders if POOL_BUILDERS[name] is None]
    assert not unbudgeted, f"{service} opens connections outside the budgeted pools: {unbudgeted}"
    assert sum(POOL_BUILDERS[name] for name in builders) == connections_per_pool_size(service)


def test_each_platform_builds_the_one_pool_it_declares():
    shared = REPO_ROOT / "shared" / "orderpulse"
    assert _builders([shared / "runtime.py"]) == ["create_engine"]
    assert Platform.MAX_CONNECTIONS_PER_POOL_SIZE == MAX_CONNECTIONS_PER_POOL_SIZE
    assert _builders([shared / "pool_platform.py"]) == ["DirectConnections"]
    assert PoolPlatform.MAX_CONNECTIONS_PER_POOL_SIZE == MAX_CONNECTIONS_PER_SIZE
    assert _builders([shared / "platform_base.py"]) == []
