"""kpi-svc: KPIs of OrderPulse computed from the event stream."""
