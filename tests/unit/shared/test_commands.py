"""The shared command runner: one commit, idempotent replays, retries after lost races, effects after commit."""

import pytest
from orderpulse.commands import IdempotencyRequest, Reply, StoredReply, TransientConflict, run_command, run_query


class Keys:
    def __init__(self):
        self.saved = {}

    async def claim(self, principal, key, fingerprint):
        return self.saved.get((principal, key))

    async def save(self, principal, key, status_code, body):
        self.saved[(principal, key)] = StoredReply(status_code, body)


class UnitOfWork:
    def __init__(self, log, keys):
        self.log, self.idempotency = log, keys

    async def __aenter__(self):
        self.log.append("begin")
        return self

    async def __aexit__(self, *exc):
        self.log.append("end")

    async def commit(self):
        self.log.append("commit")


async def test_a_command_commits_once_then_runs_its_effects_and_a_replay_runs_neither():
    log, keys, effects = [], Keys(), []

    async def work(uow):
        log.append("work")
        return Reply(201, {"id": 1}, after_commit=(lambda: effects.append("counted"),))

    request = IdempotencyRequest("support", "k1", "fp")
    first = await run_command(lambda: UnitOfWork(log, keys), work, idempotency=request)
    replay = await run_command(lambda: UnitOfWork(log, keys), work, idempotency=request)
    assert (first.status_code, first.body) == (replay.status_code, replay.body) == (201, {"id": 1})
    assert log == ["begin", "work", "commit", "end", "begin", "end"] and effects == ["counted"]


async def test_a_lost_race_runs_the_command_again_and_a_domain_error_commits_nothing():
    log, attempts = [], []

    async def racing(uow):
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientConflict("deadlock detected")
        return Reply(200, {})

    assert (await run_command(lambda: UnitOfWork(log, Keys()), racing)).status_code == 200
    assert len(attempts) == 3 and log.count("commit") == 1

    async def refused(uow):
        raise ValueError("bad input")

    log.clear()
    with pytest.raises(ValueError):
        await run_command(lambda: UnitOfWork(log, Keys()), refused)
    assert "commit" not in log


async def test_a_query_never_commits():
    log = []

    async def read(uow):
        return 42

    assert await run_query(lambda: UnitOfWork(log, Keys()), read) == 42
    assert log == ["begin", "end"]
