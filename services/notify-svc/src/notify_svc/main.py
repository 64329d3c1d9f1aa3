"""`uvicorn notify_svc.main:app`: settings are read once, here, from the environment."""

from orderpulse.heap import freeze_startup_heap
from orderpulse.observability.logs import configure_logging

from notify_svc.bootstrap import build_app
from notify_svc.settings import NotifySettings

settings = NotifySettings()
configure_logging(settings.service_name, settings.log_level)
app = build_app(settings)
freeze_startup_heap()
