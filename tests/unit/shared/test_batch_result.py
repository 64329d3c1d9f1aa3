"""A batch's counts: a batch handler's records counted at once give what counting them one by one gives."""

from orderpulse.messaging.batch_result import BatchResult


def test_records_counted_at_once_give_the_counts_of_one_at_a_time():
    topics = ["orders", "returns", "orders", "orders", "returns"]
    one_by_one, at_once = BatchResult(), BatchResult()
    for result in (one_by_one, at_once):
        result.count("orders", "duplicate")
        result.count("orders", "ignored")
    for topic in topics:
        one_by_one.count(topic, "applied")
    at_once.count_applied(iter(topics))

    for result in (one_by_one, at_once):
        assert (result.applied, result.duplicates, result.ignored) == (5, 1, 1)
        assert dict(result.outcomes) == {("orders", "duplicate"): 1, ("orders", "ignored"): 1,
                                         ("orders", "applied"): 3, ("returns", "applied"): 2}


def test_nothing_to_count_counts_nothing():
    result = BatchResult()
    result.count_applied([])
    assert (result.applied, dict(result.outcomes)) == (0, {})
