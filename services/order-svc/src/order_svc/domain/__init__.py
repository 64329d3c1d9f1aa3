"""order-svc's domain: plain dataclasses and the standard library only.

Aggregates (`model.Order`, `customer.Customer`) record events (`events.py`); the service
layer's unit of work puts them in the outbox. Nothing here publishes, stores or imports a
framework.
"""
