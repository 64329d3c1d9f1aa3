"""The fulfillment-svc domain: stock and reservations, fulfillments, shipments, carrier scans,
labor shifts and returns. Standard library only; no I/O, no clocks, no id generation — ids
and times are passed in, so every decision is deterministic and testable in isolation."""
