"""`uvicorn fulfillment_svc.main:app`: settings are read once, here, from the environment."""

from orderpulse.heap import collect_young_objects_less_often, freeze_startup_heap
from orderpulse.observability.logs import configure_logging

from fulfillment_svc.bootstrap import build_app
from fulfillment_svc.entrypoints.consumer import YOUNG_COLLECTION_THRESHOLD
from fulfillment_svc.settings import FulfillmentSettings

settings = FulfillmentSettings()
configure_logging(settings.service_name, settings.log_level)
app = build_app(settings)
freeze_startup_heap()
collect_young_objects_less_often(YOUNG_COLLECTION_THRESHOLD)  # its consumer's batches
