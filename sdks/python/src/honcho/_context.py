"""What every handle of one client shares: its workspace, its HTTP executor, its memberships."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._args import Memberships
from ._http import AsyncHTTP, SyncHTTP


@dataclass
class SyncContext:
    workspace_id: str
    http: SyncHTTP
    memberships: Memberships = field(default_factory=Memberships)


@dataclass
class AsyncContext:
    workspace_id: str
    http: AsyncHTTP
    memberships: Memberships = field(default_factory=Memberships)
