"""The HTTP benchmarks' baseline: a bare FastAPI endpoint doing one asyncpg INSERT per request.

`uvicorn _bare_insert_app:app` with BENCH_DATABASE_URL (a plain postgresql:// DSN). Any POST path
answers: the same wrk script drives it as the service measured (order entry, fulfillment-svc's
routes), so it reads the same body; the row's key is the request's `Idempotency-Key`, or a fresh
uuid when it sends none (a carrier's batch). No auth, no checks.
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request, Response

_TABLE = "CREATE TABLE IF NOT EXISTS bench_bare_orders (key text PRIMARY KEY, body jsonb NOT NULL)"
_INSERT = "INSERT INTO bench_bare_orders (key, body) VALUES ($1, $2::jsonb)"


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.pool = await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=10, max_size=10)
    async with app.state.pool.acquire() as connection:
        await connection.execute(_TABLE)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/{path:path}", status_code=201)
async def place(request: Request) -> Response:
    body = await request.body()
    key = request.headers.get("idempotency-key") or uuid.uuid4().hex
    async with request.app.state.pool.acquire() as connection:
        await connection.execute(_INSERT, key, body.decode())
    return Response(content=b'{"status":"accepted"}', status_code=201, media_type="application/json")


@app.get("/readyz")
async def ready() -> dict:
    return {"status": "ok"}
