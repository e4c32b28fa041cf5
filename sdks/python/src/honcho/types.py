"""The official SDK's `honcho.types` names, re-exported from where they live in this SDK."""

from __future__ import annotations

from .observations import AsyncObservationScope, Observation, ObservationScope
from .representation import (
    DeductiveObservation,
    ExplicitObservation,
    PeerContext,
    Representation,
)
from .streaming import AsyncDialecticStreamResponse, DialecticStreamResponse

__all__ = [
    "AsyncDialecticStreamResponse",
    "AsyncObservationScope",
    "DeductiveObservation",
    "DialecticStreamResponse",
    "ExplicitObservation",
    "Observation",
    "ObservationScope",
    "PeerContext",
    "Representation",
]
