"""order-svc: orders, customers, catalog, invoices and returns requested."""
