"""HTTP plumbing every service shares: problems, auth, signatures, idempotency, pagination, health."""
