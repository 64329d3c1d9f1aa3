"""What the platform needs to know to run notify-svc (found through the `orderpulse.services` entry point)."""

from pathlib import Path

from orderpulse.services import ServiceManifest

MANIFEST = ServiceManifest(
    name="notify-svc",
    app="notify_svc.main:app",
    port=8003,
    migrations=Path(__file__).resolve().parent / "alembic",
)
