"""The end-to-end benchmark's SMTP server, in a process of its own: it writes one line per email,
`<X-OrderPulse-Order-Id>\t<time.time() at the end of DATA>`, to the file given, and reads only the
message's headers (the whole-message parse with email.policy.default cost ~1 ms an email in the
benchmark's own process before, beside its load generator). Prints `ready` once it listens.

    .venv/bin/python bench/_arrival_sink.py <port> <arrivals file>
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from email.parser import BytesHeaderParser
from email.policy import compat32

from aiosmtpd.controller import Controller

ORDER_HEADER = "X-OrderPulse-Order-Id"


class ArrivalLog:
    """aiosmtpd handler: the arrival time of every email, by the order it is about."""

    def __init__(self, out) -> None:
        self._out = out
        self._headers = BytesHeaderParser(policy=compat32)

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.time()
        order_id = self._headers.parsebytes(envelope.content)[ORDER_HEADER]
        if order_id is not None:
            self._out.write(f"{order_id.strip()}\t{now:.6f}\n")
            self._out.flush()
        return "250 OK"


def main(port: int, path: str) -> None:
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with open(path, "a", encoding="utf-8") as out:
        controller = Controller(ArrivalLog(out), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            print("ready", flush=True)
            stopped.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
