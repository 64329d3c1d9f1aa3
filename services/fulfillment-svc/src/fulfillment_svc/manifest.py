"""What the platform needs to know to run fulfillment-svc (found through the `orderpulse.services` entry point)."""

from pathlib import Path

from orderpulse.services import ServiceManifest

MANIFEST = ServiceManifest(
    name="fulfillment-svc",
    app="fulfillment_svc.main:app",
    port=8002,
    migrations=Path(__file__).resolve().parent / "alembic",
)
