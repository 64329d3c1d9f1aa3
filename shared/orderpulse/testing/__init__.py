"""Fixtures and helpers that services' tests import: real PostgreSQL and broker, clean state per test."""
