"""The unit of work makes its SQLAlchemy session on first use: a block that needs none costs none."""

from __future__ import annotations

from orderpulse.unit_of_work import UnitOfWork


class RecordingSession:
    def __init__(self, log: list[str]) -> None:
        self._log = log
        self.transaction_open = False

    def in_transaction(self) -> bool:
        return self.transaction_open

    async def execute(self, *_args: object) -> None:
        self.transaction_open = True  # autobegin
        self._log.append("execute")

    async def commit(self) -> None:
        self.transaction_open = False
        self._log.append("commit")

    async def rollback(self) -> None:
        self.transaction_open = False
        self._log.append("rollback")

    async def close(self) -> None:
        self._log.append("close")


def _unit_of_work(log: list[str]) -> UnitOfWork:
    def sessions() -> RecordingSession:
        log.append("made")
        return RecordingSession(log)

    return UnitOfWork(sessions, schema="order_svc", source="/order-svc")  # type: ignore[arg-type]


async def test_a_block_that_touches_no_session_makes_none_and_commits_nothing():
    log: list[str] = []
    async with _unit_of_work(log) as uow:
        await uow.commit()
    assert log == []


async def test_the_session_is_made_on_first_use_once_and_committed():
    log: list[str] = []
    async with _unit_of_work(log) as uow:
        await uow.session.execute("one")
        await uow.session.execute("two")
        await uow.commit()
    assert log == ["made", "execute", "execute", "commit", "close"]


async def test_a_block_left_without_commit_rolls_back_what_it_began():
    log: list[str] = []
    async with _unit_of_work(log) as uow:
        await uow.session.execute("one")
    assert log == ["made", "execute", "rollback", "close"]


async def test_each_block_gets_its_own_session():
    log: list[str] = []
    uow = _unit_of_work(log)
    for _ in range(2):
        async with uow:
            await uow.session.execute("one")
            await uow.commit()
    assert log.count("made") == 2 and log.count("close") == 2
