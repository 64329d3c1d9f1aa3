"""A whole simulation run: set up the catalog, customers and stock, replay the history (if asked),
run live traffic, drain, and compare the tally with kpi-svc. Stops cleanly on a signal."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import orjson

from orderpulse.business_days import BusinessCalendar
from orderpulse.simulator.api import FEEDBACK, KPI, NOTIFY, FeedbackApi, FulfillmentApi, KpiApi, NotifyApi, OrderApi
from orderpulse.simulator.calls import CallDesk
from orderpulse.simulator.carrier import CarrierDesk
from orderpulse.simulator.carry_over import EarlierMessages
from orderpulse.simulator.clients import ApiError, Stack, Traffic, Transport
from orderpulse.simulator.comparison import Outcome, alone, comparable_windows, compare, report_json
from orderpulse.simulator.config import SimulationConfig, format_span
from orderpulse.simulator.history import history_bounds, plan_history, plan_live
from orderpulse.simulator.labor import history_shifts
from orderpulse.simulator.notices import Pending, read_notifications
from orderpulse.simulator.pacer import Pacer
from orderpulse.simulator.pointers import pointer_lines
from orderpulse.simulator.report import Progress, Say, kpi_table, summary_lines
from orderpulse.simulator.scenario import live_gaps_s
from orderpulse.simulator.settling import until_settled
from orderpulse.simulator.shifts import ShiftClerk
from orderpulse.simulator.stockroom import StockKeeper, WorkQueue
from orderpulse.simulator.storefront import set_up_catalog, set_up_customers, set_up_preferences
from orderpulse.simulator.stories import Desk, StoryRun
from orderpulse.simulator.tally import Tally
from orderpulse.simulator.world import registered_customers

ALL_WINDOWS = ("1h", "24h", "7d", "30d")
SETTLE_BEFORE_S = 300.0  # the backlog an interrupted live run leaves (simulator/settling.py)
NOTIFY_SETTLE_S = 180.0  # after a stop at 5 orders/s, notify-svc here works through minutes of backlog
FINISH_STEPS_S = 180  # on a stop, how long the steps under way may take to finish (each request: 30 s × 5 at worst)


def default_run_tag() -> str:
    """Short, unique per start: ids of shipments, scans and idempotency keys never collide across runs."""
    stamp = int(time.time() * 10).to_bytes(6, "big")
    return "r" + base64.b32encode(stamp).decode().rstrip("=").lower()[-8:]


class Simulation:
    def __init__(self, config: SimulationConfig, stack: Stack, say: Say, stop: asyncio.Event) -> None:
        self.config, self.stack, self.say, self.stop = config, stack, say, stop
        self.run_tag = config.run_tag or default_run_tag()
        self.tally, self.traffic = Tally(), Traffic()
        self.transport = Transport(stack, self.traffic, connections=min(12, config.concurrency // 2 + 2),
                                   give_up_after_s=config.give_up_after_s)
        self.orders, self.fulfillment = OrderApi(self.transport), FulfillmentApi(self.transport)
        self.notify = NotifyApi(self.transport) if stack.has(NOTIFY) else None
        self.feedback = FeedbackApi(self.transport) if stack.has(FEEDBACK) else None
        self.earlier = EarlierMessages(self.notify, self.orders, stack.state_dir) if self.notify is not None else None
        self.read_back = False  # what notify-svc sent was read back at the end
        self.carriers = CarrierDesk(self.fulfillment)
        self.pacer = Pacer(config.concurrency)
        self.shifts = ShiftClerk(self.fulfillment, self.pacer, self.tally, self.run_tag)
        self.calendar = BusinessCalendar(timezone=config.merchant_timezone)
        self.customers = registered_customers(config.seed)
        self.carrier_codes = stack.carriers or ("dhl",)
        self.queue = WorkQueue(self.fulfillment)
        self.desk = Desk(self.orders, self.fulfillment, self.carriers, StockKeeper(self.fulfillment), self.queue,
                         self.pacer, self.tally, self.traffic, self.calendar, self.run_tag, self.feedback)
        self.progress = Progress(self.tally, self.traffic, say)
        self.progress.emails = stack.emails_caught
        self.progress.behind_s = lambda: self.pacer.behind_s
        self.tasks: set[asyncio.Task] = set()

    async def run(self) -> Outcome:
        config = self.config
        ticker = asyncio.create_task(self._tick())
        holder = asyncio.create_task(self._hold_on_stop())
        watcher = asyncio.create_task(self._watch_stack())
        # an earlier run's work still under way would land in this run's figures: let it finish first
        await until_settled(self.transport.clients, self.say, what="before the run", timeout_s=SETTLE_BEFORE_S,
                            stop=self.stop)
        baseline = await self._kpis_quietly() if self.stack.has(KPI) else None
        if self.earlier is not None and (held := await self.earlier.note()):
            self.say(f"{held} messages of earlier runs' orders are still held by notify-svc (quiet hours, a retry): "
                     "what earlier runs' orders are sent during this run counts on both sides, as kpi-svc counts it")
        calls: asyncio.Task | None = None
        now = datetime.now(UTC)
        history = timedelta(seconds=config.backfill_s) if config.planned_backfill_orders else None
        try:
            await set_up_catalog(self.orders)
            await set_up_customers(self.orders, self.customers, history_bounds(now, history)[0] - timedelta(days=1)
                                   if history else None)
            await self.desk.stock.set_up()
            if self.notify is not None:
                quiet = await set_up_preferences(self.notify, self.customers, config.seed)
                self.say(f"notification preferences set for {len(self.customers)} customers ({quiet} with quiet hours)")
                calls = asyncio.create_task(CallDesk(self.notify, self.tally, config.seed).run())
            if history and not self.stop.is_set():
                await self._backfill(now, history)
            if config.has_live_phase and not self.stop.is_set():
                await self._live()
        except ApiError as error:
            self.say(f"setting up failed: {error}")
        finally:
            # Let every step under way finish, so the tally knows all the services were told: a step
            # cut off mid-request may have changed a service without the tally hearing of it (an
            # order delivered for kpi-svc, not for the tally). Only then stop the stories, which by
            # now are all waiting for a turn (or asleep) and have nothing half done.
            self.pacer.hold()
            await self._finish_steps_under_way()
            for task in self.tasks:
                task.cancel()
            if calls is not None:
                calls.cancel()
            await asyncio.gather(*self.tasks, *([calls] if calls else []), return_exceptions=True)
            await self.carriers.close()
            await self.queue.close()
            ticker.cancel()
            holder.cancel()
            watcher.cancel()
        self.progress.phase = "done"
        self.progress.show()
        outcome = await self._outcome(baseline)
        await self.transport.close()
        return outcome

    # --- phases -------------------------------------------------------------------------------
    async def _backfill(self, now: datetime, span: timedelta) -> None:
        config = self.config
        stories = plan_history(config.seed, config.planned_backfill_orders, now, span, config.mix,
                               self.customers, self.calendar, self.carrier_codes)
        start, end = history_bounds(now, span)
        self.progress.phase, self.progress.planned = f"backfill {format_span(config.backfill_s)}", len(stories)
        self.say(f"replaying {len(stories)} orders placed over the last {format_span(config.backfill_s)} "
                 f"(seed {config.seed}, run {self.run_tag}, {config.concurrency} requests in flight) ...")
        per_day = len(stories) / max(1.0, (end - start).total_seconds() / 86400)
        for warehouse, ended, body in history_shifts(config.seed, self.run_tag, start, end, per_day):
            self._start(self.shifts.post(warehouse, body, ended))
        for story in stories:
            self._start(StoryRun(story, self.desk).play())
        await self._until_done(set(self.tasks))
        self.say(f"history {'interrupted' if self.stop.is_set() else 'replayed'}: "
                 f"{self.tally.events['placed']} orders placed, {self.tally.events['orders delivered']} delivered")

    async def _live(self) -> None:
        config = self.config
        self.progress.phase, self.progress.planned = f"live {config.rate_per_s:g}/s", 0
        self.say(f"live traffic: {config.rate_per_s:g} orders/s for {format_span(config.duration_s)}, "
                 f"stories {config.live_speedup:g}× faster than real time ...")
        started, next_index = time.time(), config.planned_backfill_orders
        placed = 0
        live_over = asyncio.Event()
        shifts = self._start(self.shifts.live(started, live_over, config.rate_per_s))
        due = started
        for gap in live_gaps_s(config.seed, config.rate_per_s):
            due += gap
            if due - started > config.duration_s or (config.live_orders is not None and placed >= config.live_orders):
                break
            if await self._sleep_until(due):
                break
            placed_at = datetime.now(UTC)
            story = plan_live(config.seed, next_index + placed, placed_at, config.live_speedup, config.mix,
                              self.customers, self.calendar, self.carrier_codes)
            self._start(StoryRun(story, self.desk, live=True).play())
            placed += 1
        live_over.set()
        if not self.stop.is_set():  # stopped: no turn is granted any more, the last shift is not posted
            await asyncio.wait({shifts}, timeout=30)
        if not self.stop.is_set() and config.drain_s > 0:
            self.progress.phase = "draining"
            self.say(f"live phase over after {placed} orders; letting stories in flight finish "
                     f"(up to {format_span(config.drain_s)}) ...")
            await self._until_done({task for task in self.tasks if not task.done() and task is not shifts},
                                   timeout_s=config.drain_s)

    # --- plumbing -----------------------------------------------------------------------------
    async def _hold_on_stop(self) -> None:
        """From the moment the user stops the run, no new step starts (stories already planned included)."""
        await self.stop.wait()
        self.pacer.hold()

    async def _watch_stack(self) -> None:
        """Stop the run once the stack stopped answering altogether (`Transport.check_alive`)."""
        while not self.transport.check_alive():
            await asyncio.sleep(1.0)
        self.say(f"error: {self.transport.gone}; stopping the simulation")
        self.stop.set()

    async def _finish_steps_under_way(self) -> None:
        try:
            await asyncio.wait_for(self.pacer.idle(), FINISH_STEPS_S)
        except TimeoutError:
            self.say(f"{self.pacer.busy} steps still under way after {FINISH_STEPS_S} s are cut off: "
                     "the tally may miss what they changed")
    def _start(self, work: Awaitable) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _until_done(self, tasks: set[asyncio.Task], timeout_s: float | None = None) -> None:
        if not tasks:
            return
        stopping = asyncio.create_task(self.stop.wait())
        everything = asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.wait({stopping, everything}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()

    async def _sleep_until(self, due: float) -> bool:
        """Wait for `due` (unix seconds); True if asked to stop meanwhile."""
        delay = due - time.time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)
        return self.stop.is_set()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.config.progress_every_s)
            if self.stack.has(KPI):
                with contextlib.suppress(ApiError):
                    self.progress.kpis_1h = await KpiApi(self.transport).kpis("1h")
            self.progress.show()

    async def _kpis_quietly(self) -> dict | None:
        """What kpi-svc reports before the run, per window."""
        try:
            return {name: await KpiApi(self.transport).kpis(name) for name in ALL_WINDOWS}
        except ApiError:
            return None

    async def _pointers(self) -> list[str]:
        failures = None
        if self.stack.has(KPI):
            with contextlib.suppress(ApiError):
                failures = await KpiApi(self.transport).failures(self.config.kpi_window)
        return pointer_lines(failures, self.config.kpi_window, self.tally, self.stack,
                             self.progress.pending_notifications)

    async def _read_notifications(self) -> None:
        """Read what notify-svc sent until two readings agree and nothing is about to be sent (a
        parcel's message waits out its digest window after the scan), for at most NOTIFY_SETTLE_S.
        An SMS held for quiet hours is hours away: it is reported, not waited for."""
        if self.notify is None:
            return
        if self.config.kpi_wait_s <= 0:  # `--kpi-wait 0`: compare at once, wait for no service
            await self._read_messages()
            return
        await until_settled(self.transport.clients, self.say, what="reading back what notify-svc sent",
                            timeout_s=NOTIFY_SETTLE_S)
        deadline, before, said = time.monotonic() + NOTIFY_SETTLE_S, None, 0.0
        while True:
            pending = await self._read_messages()
            sent = sum(len(order.notifications) for order in self.tally.orders.values())
            if (sent == before and not pending.coming) or time.monotonic() > deadline:
                return
            if pending.coming and time.monotonic() - said >= 10.0:
                self.say(f"reading back what notify-svc sent: {pending.coming} messages wait out their digest "
                         "window or a retry ...")
                said = time.monotonic()
            before = sent
            await asyncio.sleep(2.0 if not pending.coming else 5.0)

    async def _read_messages(self) -> Pending:
        """One reading of what notify-svc sent this run's orders, and earlier runs' orders since it began."""
        pending = await read_notifications(self.notify, self.orders, self.tally)
        await self.earlier.read(self.tally)
        self.progress.pending_notifications = pending.total
        self.read_back = True
        return pending

    async def _outcome(self, baseline: dict | None) -> Outcome:
        config, tally = self.config, self.tally
        with_costs = True  # notification costs are read back with what notify-svc sent
        interrupted = self.stop.is_set()
        title = f"simulation summary (seed {config.seed}, run {self.run_tag}{', interrupted' if interrupted else ''})"
        for line in summary_lines(tally, self.traffic, title=title):
            self.say(line)
        if self.transport.gone is not None:  # nothing to read back: say what was done, and why it stopped
            self.say(f"the stack stopped answering: {self.transport.gone}")
            return Outcome(self.run_tag, tally, self.traffic, [], None, interrupted, stack_gone=self.transport.gone)
        if not self.stack.has(KPI):
            await self._read_notifications()
            rows = alone(tally, config.kpi_window, with_costs)
            note = ("kpi-svc is not in stack.json (services: " + ", ".join(self.stack.services) +
                    "): nothing to compare with; the simulator's own figures:")
        else:
            rows, note = await compare(KpiApi(self.transport), tally, config.kpi_window, baseline, with_costs,
                                       config.kpi_wait_s,  # interrupted too: kpi-svc may still be catching up
                                       extra_windows=comparable_windows(baseline, config.kpi_window, ALL_WINDOWS),
                                       refresh=self._read_notifications)
        self.say(f"KPIs over the last {config.kpi_window}: the simulator's tally beside kpi-svc's figures")
        if note:
            self.say(note)
        if self.tally.earlier:
            sent = sum(len(order.notifications) for order in self.tally.earlier.values())
            self.say(f"(with {sent} messages notify-svc sent earlier runs' orders during this run, as kpi-svc counts them)")
        for line in kpi_table(rows):
            self.say(line)
        if self.earlier is not None and self.read_back:  # for the next run (carry_over.py)
            self.earlier.save(order.order_id for order in tally.orders.values() if order.fresh)
        for line in await self._pointers():
            self.say(line)
        outcome = Outcome(self.run_tag, tally, self.traffic, rows, note, interrupted)
        if config.report_path is not None:
            config.report_path.write_bytes(orjson.dumps(report_json(outcome), option=orjson.OPT_INDENT_2))
        return outcome


async def simulate(config: SimulationConfig, stack: Stack, say: Say, *,
                   watchdog: Callable[[], str | None] | None = None, handle_signals: bool = True) -> Outcome:
    """Run a simulation; the first SIGINT/SIGTERM stops it and still prints the summary, a second one cuts it short."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set():
            main.cancel()
        else:
            say("stopping: summing up (press Ctrl-C again to skip) ...")
            stop.set()

    signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    guard = asyncio.create_task(_watch(watchdog, stop, say)) if watchdog else None
    try:
        return await Simulation(config, stack, say, stop).run()
    finally:
        if guard is not None:
            guard.cancel()
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _watch(watchdog: Callable[[], str | None], stop: asyncio.Event, say: Say) -> None:
    while not stop.is_set():
        problem = watchdog()
        if problem:
            say(f"{problem}; stopping the simulation")
            stop.set()
            return
        await asyncio.sleep(1.0)
