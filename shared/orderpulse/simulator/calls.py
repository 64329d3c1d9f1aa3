"""Account managers at work: every few seconds each one reads their courtesy-call list from
notify-svc and calls the customers (reached, voicemail or no answer)."""

from __future__ import annotations

import asyncio
import random

from orderpulse.simulator.api import NotifyApi
from orderpulse.simulator.clients import ApiError
from orderpulse.simulator.tally import Tally
from orderpulse.simulator.world import ACCOUNT_MANAGERS

OUTCOMES = (("reached", 65), ("voicemail", 25), ("no_answer", 10))
NOTES = {"reached": "Customer happy with the update.", "voicemail": "Left a message with the update.",
         "no_answer": "No answer; will try again by email."}


class CallDesk:
    def __init__(self, notify: NotifyApi, tally: Tally, seed: int, *, every_s: float = 3.0) -> None:
        self.notify, self.tally, self.every_s = notify, tally, every_s
        self.rng = random.Random(f"{seed}/calls")

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            await self.round()
            await asyncio.sleep(self.every_s)

    async def round(self) -> None:
        for manager in ACCOUNT_MANAGERS:
            try:
                calls = await self.notify.open_calls(manager)
                for call in calls:
                    outcome = self.rng.choices(*zip(*OUTCOMES, strict=True))[0]
                    await self.notify.complete_call(call["call_id"], {"outcome": outcome, "note": NOTES[outcome]})
                    self.tally.count("courtesy calls made")
            except ApiError:
                continue  # counted by the transport; the next round tries again
