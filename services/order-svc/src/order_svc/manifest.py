"""What the platform needs to know to run order-svc (found through the `orderpulse.services` entry point)."""

from pathlib import Path

from orderpulse.services import ServiceManifest

MANIFEST = ServiceManifest(
    name="order-svc",
    app="order_svc.main:app",
    port=8001,
    migrations=Path(__file__).parent / "alembic",
)
