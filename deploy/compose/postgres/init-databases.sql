-- One database per service: each owns its data (architecture.md). Runs once, when the
-- postgres container initialises an empty data directory, as the POSTGRES_USER (the owner).
CREATE DATABASE order_svc;
CREATE DATABASE fulfillment_svc;
CREATE DATABASE notify_svc;
CREATE DATABASE feedback_svc;
CREATE DATABASE kpi_svc;
