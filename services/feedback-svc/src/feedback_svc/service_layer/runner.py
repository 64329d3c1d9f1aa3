"""Running feedback-svc's commands and queries: the shared runner over this service's unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from orderpulse import commands
from orderpulse.commands import IdempotencyRequest, Reply

from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.ports import FeedbackUnitOfWork

__all__ = ["IdempotencyRequest", "Reply", "run_command", "run_query"]

T = TypeVar("T")


async def run_command(
    ctx: ServiceContext, work: Callable[[FeedbackUnitOfWork], Awaitable[Reply]], *, idempotency: IdempotencyRequest | None = None
) -> Reply:
    return await commands.run_command(ctx.unit_of_work, work, idempotency=idempotency)


async def run_query(ctx: ServiceContext, read: Callable[[FeedbackUnitOfWork], Awaitable[T]]) -> T:
    return await commands.run_query(ctx.unit_of_work, read)
