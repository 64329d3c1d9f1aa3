"""kpi-svc feeds the histogram samples an engine drained to each child in one pass (each bucket
incremented once by its count, the sum set once): the exposition must be what observing them one
by one gives, to the last bit of the sum."""

import math

from hypothesis import given
from hypothesis import strategies as st
from kpi_svc.entrypoints import metrics
from kpi_svc.entrypoints.metrics import LATENCY_BUCKETS, _observe_all, record_observations
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest

amounts = st.floats(allow_nan=False, min_value=-1e7, max_value=1e7) | st.sampled_from(
    [0.0, 0.5, 1.0, 3600.0, 86400.0, math.inf, 0.1 + 0.2]
)


def twin_histograms() -> tuple[CollectorRegistry, Histogram, CollectorRegistry, Histogram]:
    one_by_one, at_once = CollectorRegistry(), CollectorRegistry()
    kwargs = {"name": "t_seconds", "documentation": "t", "labelnames": ["channel"], "buckets": LATENCY_BUCKETS}
    return one_by_one, Histogram(registry=one_by_one, **kwargs), at_once, Histogram(registry=at_once, **kwargs)


def exposed(registry: CollectorRegistry) -> list[str]:
    """The samples, without the `_created` one (the moment each histogram was made)."""
    return [line for line in generate_latest(registry).decode().splitlines() if "_created" not in line]


@given(st.lists(st.lists(amounts, max_size=40), max_size=4))
def test_samples_given_at_once_expose_what_observing_them_one_by_one_does(batches):
    one_by_one, a, at_once, b = twin_histograms()
    a.labels("email"), b.labels("email")  # both expose the child, samples or not
    for batch in batches:
        for amount in batch:
            a.labels("email").observe(amount)
        _observe_all(b.labels("email"), batch)
    assert exposed(at_once) == exposed(one_by_one)


def test_a_nan_sample_counts_in_no_bucket_as_with_observe():
    one_by_one, a, at_once, b = twin_histograms()
    for amount in (1.0, math.nan, 2.0):
        a.labels("sms").observe(amount)
    _observe_all(b.labels("sms"), [1.0, math.nan, 2.0])
    assert exposed(at_once) == exposed(one_by_one)


def test_record_observations_feeds_each_child_its_own_samples():
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    name = "orderpulse_notification_latency_seconds"
    before = {
        ("sms", "shipped"): (value(f"{name}_count", channel="sms", milestone="shipped"),
                             value(f"{name}_bucket", channel="sms", milestone="shipped", le="5.0")),
        ("email", "shipped"): (value(f"{name}_count", channel="email", milestone="shipped"),
                               value(f"{name}_bucket", channel="email", milestone="shipped", le="0.5")),
    }
    record_observations([
        ("notification_latency_seconds", "sms", "shipped", 2.0),
        ("notification_latency_seconds", "email", "shipped", 0.25),
        ("notification_latency_seconds", "sms", "shipped", 4.0),
        ("order_delivered", "dhl", "vip", True),
    ])
    assert value(f"{name}_count", channel="sms", milestone="shipped") == before[("sms", "shipped")][0] + 2
    assert value(f"{name}_bucket", channel="sms", milestone="shipped", le="5.0") == before[("sms", "shipped")][1] + 2
    assert value(f"{name}_count", channel="email", milestone="shipped") == before[("email", "shipped")][0] + 1
    assert value(f"{name}_bucket", channel="email", milestone="shipped", le="0.5") == before[("email", "shipped")][1] + 1
    assert metrics.notification_latency is REGISTRY._names_to_collectors[name]


def test_a_child_of_another_shape_gets_each_sample_through_observe():
    """Should a prometheus_client release change the insides `_observe_all` reads, kpi-svc falls
    back to the public `observe`, one sample at a time, instead of failing its checkpoints."""

    class PublicOnly:
        def __init__(self) -> None:
            self.observed: list[float] = []

        def observe(self, amount: float) -> None:
            self.observed.append(amount)

    child = PublicOnly()
    _observe_all(child, [0.5, 2.0, 7.25])
    assert child.observed == [0.5, 2.0, 7.25]
