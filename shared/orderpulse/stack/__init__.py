"""The embedded stack: PostgreSQL and a Kafka-compatible broker on loopback, and the services."""
