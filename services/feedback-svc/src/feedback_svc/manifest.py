"""What the platform needs to know to run feedback-svc (found through the `orderpulse.services` entry point)."""

from pathlib import Path

from orderpulse.services import ServiceManifest

MANIFEST = ServiceManifest(
    name="feedback-svc",
    app="feedback_svc.main:app",
    port=8004,
    migrations=Path(__file__).resolve().parent / "alembic",
)
