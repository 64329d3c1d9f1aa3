"""What the platform knows of each service, found through the `orderpulse.services` entry points.

The shared library never imports a service; each service package declares its manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from orderpulse.events.topics import ALL_TOPICS, dlq_topic

SERVICE_ORDER = ("order-svc", "fulfillment-svc", "notify-svc", "feedback-svc", "kpi-svc")


@dataclass(frozen=True)
class ServiceManifest:
    name: str  # "order-svc"
    app: str  # "order_svc.main:app"
    port: int  # default HTTP port
    migrations: Path  # the service's alembic folder

    @property
    def schema(self) -> str:
        return self.name.replace("-", "_")


def installed_services() -> list[ServiceManifest]:
    """Every installed service, in start order."""
    manifests = [point.load() for point in entry_points(group="orderpulse.services")]
    rank = {name: index for index, name in enumerate(SERVICE_ORDER)}
    return sorted(manifests, key=lambda manifest: rank.get(manifest.name, len(rank)))


def service_named(name: str) -> ServiceManifest:
    for manifest in installed_services():
        if manifest.name == name:
            return manifest
    known = ", ".join(manifest.name for manifest in installed_services()) or "none"
    raise KeyError(f"no installed service is called {name!r} (installed: {known})")


def platform_topics(manifests: list[ServiceManifest] | None = None) -> list[str]:
    """The topics to make before any service runs: the event topics and each service's dead letters."""
    services = installed_services() if manifests is None else manifests
    return [*ALL_TOPICS, *(dlq_topic(manifest.name) for manifest in services)]
