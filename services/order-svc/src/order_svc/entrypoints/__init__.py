"""The edges: HTTP routes and their models, and the consumer's handler table. They translate, nothing more."""
