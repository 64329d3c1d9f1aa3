"""The domain's event data validates against the shared event models (the contract's code form)."""

import pytest
from order_builders import every_event_type
from orderpulse.events import event_type, validate_data


@pytest.mark.parametrize("event", every_event_type(), ids=lambda event: event.type)
def test_event_data_validates_strictly_against_the_shared_model(event):
    validate_data(event.type, event.to_data())


@pytest.mark.parametrize("event", every_event_type(), ids=lambda event: event.type)
def test_events_go_to_the_catalogs_topic_under_the_catalogs_key(event):
    entry = event_type(event.type)
    assert event.topic == entry.topic
    assert event.key == entry.key_of(event.to_data())
