"""OrderPulse shared library: events, messaging, HTTP plumbing, the embedded stack."""

__version__ = "0.1.0"
