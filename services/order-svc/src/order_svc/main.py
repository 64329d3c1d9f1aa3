"""`uvicorn order_svc.main:app`: settings are read once, here, from the environment."""

from orderpulse.heap import collect_young_objects_less_often, freeze_startup_heap
from orderpulse.observability.logs import configure_logging

from order_svc.bootstrap import build_app
from order_svc.settings import OrderSettings

settings = OrderSettings()
configure_logging(settings.service_name, settings.log_level)
app = build_app(settings)
freeze_startup_heap()
collect_young_objects_less_often()  # its consumer's batches (docs/order-decisions.md)
