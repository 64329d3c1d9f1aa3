"""What the platform needs to know to run kpi-svc (found through the `orderpulse.services` entry point)."""

from pathlib import Path

from orderpulse.services import ServiceManifest

MANIFEST = ServiceManifest(
    name="kpi-svc",
    app="kpi_svc.main:app",
    port=8005,
    migrations=Path(__file__).parent / "alembic",
)
