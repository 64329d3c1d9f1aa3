"""feedback-svc: post-delivery surveys, customer issues and their live SLA clocks."""
