"""fulfillment-svc: warehouses, stock and reservations, fulfillments, shipments, carrier scans."""
