"""Use cases: command handlers, queries and consumed-event handlers, over the ports in `ports.py`."""
