"""`uvicorn kpi_svc.main:app`: settings are read once, here, from the environment."""

from orderpulse.heap import freeze_startup_heap
from orderpulse.observability.logs import configure_logging

from kpi_svc.bootstrap import build_app
from kpi_svc.settings import KpiSettings

settings = KpiSettings()
configure_logging(settings.service_name, settings.log_level)
app = build_app(settings)
freeze_startup_heap()
