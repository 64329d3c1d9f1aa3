"""The edges: HTTP routes, request and response models, the consumer's handler table."""
