"""Representations: what one peer knows about another (spec §4.9, §10.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DeductiveObservation",
    "ExplicitObservation",
    "PeerContext",
    "Representation",
]


def _stamp(moment: datetime) -> str:
    return str(moment.replace(microsecond=0))


class _ObservationBase(BaseModel):
    model_config = ConfigDict(extra="allow")

    created_at: datetime
    message_ids: list[int] = Field(default_factory=list)
    session_name: str | None = None


class ExplicitObservation(_ObservationBase):
    """A fact the observed peer stated, with the (internal) ids of the messages it came from."""

    content: str

    def __str__(self) -> str:
        return f"[{_stamp(self.created_at)}] {self.content}"

    def __hash__(self) -> int:
        return hash((self.content, self.created_at, self.session_name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExplicitObservation):
            return NotImplemented
        return (self.content, self.created_at, self.session_name) == (
            other.content,
            other.created_at,
            other.session_name,
        )


class DeductiveObservation(_ObservationBase):
    """A conclusion that follows from `premises`."""

    premises: list[str] = Field(default_factory=list)
    conclusion: str

    def __str__(self) -> str:
        premises = "".join(f"\n    - {p}" for p in self.premises)
        return f"[{_stamp(self.created_at)}] {self.conclusion}{premises}"

    def str_no_timestamps(self) -> str:
        """The conclusion and its premises, without the timestamp.

        Example:
            >>> print(observation.str_no_timestamps())
        """
        premises = "".join(f"\n    - {p}" for p in self.premises)
        return f"{self.conclusion}{premises}"

    def __hash__(self) -> int:
        return hash((self.conclusion, self.created_at, self.session_name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeductiveObservation):
            return NotImplemented
        return (self.conclusion, self.created_at, self.session_name) == (
            other.conclusion,
            other.created_at,
            other.session_name,
        )


class Representation(BaseModel):
    """What an observer knows about an observed peer: explicit facts and deductions, each list
    oldest first. `str(representation)` is the text the server shows its models."""

    explicit: list[ExplicitObservation] = Field(default_factory=list)
    deductive: list[DeductiveObservation] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """True when there is no observation at all.

        Example:
            >>> if alice.working_rep().is_empty(): print("nothing known yet")
        """
        return not self.explicit and not self.deductive

    def diff_representation(self, other: Representation) -> Representation:
        """The observations of `other` that this representation does not have.

        Example:
            >>> new = before.diff_representation(alice.working_rep())
        """
        return Representation(
            explicit=[o for o in other.explicit if o not in self.explicit],
            deductive=[o for o in other.deductive if o not in self.deductive],
        )

    def merge_representation(
        self, other: Representation, max_observations: int | None = None
    ) -> None:
        """Add `other`'s observations to this one (no duplicates, oldest first), keeping at most
        the newest `max_observations` of each kind when given.

        Example:
            >>> rep.merge_representation(alice.working_rep(session="chat"), max_observations=50)
        """
        self.explicit = sorted(set(self.explicit) | set(other.explicit), key=lambda o: o.created_at)
        self.deductive = sorted(
            set(self.deductive) | set(other.deductive), key=lambda o: o.created_at
        )
        if max_observations:
            self.explicit = self.explicit[-max_observations:]
            self.deductive = self.deductive[-max_observations:]

    def __str__(self) -> str:
        lines = ["EXPLICIT:", ""]
        lines += [f"{n}. {o}" for n, o in enumerate(self.explicit, start=1)]
        lines += ["", "DEDUCTIVE:", ""]
        lines += [f"{n}. {o}" for n, o in enumerate(self.deductive, start=1)]
        return "\n".join(lines) + "\n"

    def str_no_timestamps(self) -> str:
        """Like `str(rep)` without timestamps.

        Example:
            >>> prompt = alice.working_rep().str_no_timestamps()
        """
        lines = ["EXPLICIT:", ""]
        lines += [f"{n}. {o.content}" for n, o in enumerate(self.explicit, start=1)]
        lines += ["", "DEDUCTIVE:", ""]
        lines += [f"{n}. {o.str_no_timestamps()}" for n, o in enumerate(self.deductive, start=1)]
        return "\n".join(lines) + "\n"

    def format_as_markdown(self) -> str:
        """The representation as Markdown sections.

        Example:
            >>> print(alice.working_rep().format_as_markdown())
        """
        parts = ["## Explicit Observations", ""]
        parts += [f"{n}. {o}" for n, o in enumerate(self.explicit, start=1)]
        parts += ["", "## Deductive Observations", ""]
        for n, o in enumerate(self.deductive, start=1):
            parts.append(f"{n}. **Conclusion**: {o.conclusion}")
            if o.premises:
                parts.append("   **Premises**:")
                parts += [f"   - {p}" for p in o.premises]
            parts.append("")
        return "\n".join(parts) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Representation:
        """Build one from the server's JSON (`{"explicit": [...], "deductive": [...]}`).

        Example:
            >>> Representation.from_dict({"explicit": [], "deductive": []}).is_empty()
            True
        """
        return cls.model_validate(
            {"explicit": data.get("explicit") or [], "deductive": data.get("deductive") or []}
        )


class PeerContext(BaseModel):
    """A peer's representation of a target (itself by default) and its card of that target."""

    peer_id: str
    target_id: str
    representation: Representation | None = None
    peer_card: list[str] | None = None
