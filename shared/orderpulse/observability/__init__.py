"""Metrics, JSON logs and trace context shared by every service."""
