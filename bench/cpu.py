"""CPU time of the processes taking part in a measurement, and of the whole machine.

Figures are in % of one core over the measured wall time (a 2-core machine has 200%). A group's
time is its processes' own plus their descendants' (live ones, and the ones they have reaped:
PostgreSQL's postmaster reaps its backends). "other processes" is what the machine spent outside
every group: on a shared machine, the neighbours' load.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass, field

import psutil

OTHER = "other processes"


def _tree_seconds(pid: int) -> float:
    """CPU seconds of `pid`, its live descendants and its reaped children (0 if it is gone)."""
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = float(times.user + times.system + times.children_user + times.children_system)
        for child in root.children(recursive=True):
            with suppress(psutil.Error):  # it may have exited meanwhile
                t = child.cpu_times()
                total += t.user + t.system
        return total
    except psutil.Error:
        return 0.0


def _own_seconds() -> float:
    """This process only: its children (servers under test) are groups of their own."""
    t = psutil.Process(os.getpid()).cpu_times()
    return float(t.user + t.system)


def _machine_busy_seconds() -> float:
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


@dataclass
class CpuSnapshot:
    seconds: dict[str, float]
    machine: float


@dataclass
class CpuMeter:
    """Named groups of root pids; `load generator` is this process (without its children)."""

    groups: dict[str, list[int]] = field(default_factory=dict)

    def snapshot(self) -> CpuSnapshot:
        seconds = {name: sum(_tree_seconds(p) for p in pids) for name, pids in self.groups.items()}
        seconds["load generator"] = _own_seconds()
        return CpuSnapshot(seconds, _machine_busy_seconds())

    @staticmethod
    def percent(start: CpuSnapshot, end: CpuSnapshot, wall_seconds: float) -> dict[str, float]:
        """% of one core per group over `wall_seconds`, plus everything else the machine did."""
        if wall_seconds <= 0:
            return {}
        used = {name: end.seconds[name] - start.seconds.get(name, 0.0) for name in end.seconds}
        result = {name: round(100 * max(0.0, s) / wall_seconds, 1) for name, s in used.items()}
        other = (end.machine - start.machine) - sum(max(0.0, s) for s in used.values())
        result[OTHER] = round(100 * max(0.0, other) / wall_seconds, 1)
        return result


def postmaster_pid(backend_pid: int) -> int | None:
    """The PostgreSQL server process, from one of its backends' pid (None if not local)."""
    try:
        parent = psutil.Process(backend_pid).parent()
    except psutil.Error:
        return None
    return parent.pid if parent is not None else None
