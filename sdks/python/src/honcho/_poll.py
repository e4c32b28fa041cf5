"""The wait of `poll_deriver_status`: short sleeps first (work is often done in a moment), growing
to 2 s, never past the deadline."""

from __future__ import annotations

import time

from .models import DeriverStatus

MAX_INTERVAL = 2.0


class PollTimer:
    def __init__(self, timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.interval = 0.1

    def next_sleep(self, status: DeriverStatus) -> float:
        """Seconds to sleep before asking again; TimeoutError when the time is up."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"the deriver still has {status.pending_work_units} pending and "
                f"{status.in_progress_work_units} in-progress work units after {self.timeout}s"
            )
        sleep = min(self.interval, remaining)
        self.interval = min(self.interval * 2, MAX_INTERVAL)
        return sleep
