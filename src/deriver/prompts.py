"""Prompts and structured outputs of the deriver's LLM calls."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

REPRESENTATION_SYSTEM = """\
You maintain a memory of what each participant of a conversation has revealed about themselves.
Read the new messages and extract facts about the people who wrote them.

Rules:
- A fact is about the SPEAKER of the messages it comes from. Put the speaker's name in "peer" and
  start "content" with that name.
- What a speaker says about someone else is a fact about what the speaker said, credited to the
  speaker: "Bob says Alice is vegetarian", never "Alice is vegetarian".
- Text the speaker pasted, quoted or forwarded from elsewhere is not about the speaker; at most
  record that they shared it ("Alice shared an article about tax law").
- "explicit": stated directly in the new messages. "deductive": a conclusion that follows with
  certainty from explicit facts, with the facts it rests on in "premises".
- Make each fact self-contained and specific; turn relative dates into absolute ones using the
  message timestamps. Skip small talk, greetings and anything already in <known_facts>.
- "sources" lists the numbers of the new messages the fact comes from.
- Return only JSON: {"facts": [{"peer": ..., "level": ..., "content": ..., "premises": [...],
  "sources": [...]}]}. Return {"facts": []} when there is nothing worth remembering."""


class ExtractedFact(BaseModel):
    peer: str
    level: Literal["explicit", "deductive"] = "explicit"
    content: str = Field(min_length=1, max_length=4000)
    premises: list[str] = Field(default_factory=list)
    sources: list[int] = Field(default_factory=list)

    @field_validator("level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower().strip() if isinstance(value, str) else value


class Extraction(BaseModel):
    facts: list[ExtractedFact] = Field(default_factory=list)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def representation_prompt(
    participants: list[str],
    known_facts: dict[str, list[str]],
    summary: str | None,
    history: list[tuple[datetime, str, str]],
    new_messages: list[tuple[int, datetime, str, str]],
) -> str:
    parts = [f"<participants>{', '.join(participants)}</participants>"]
    if known_facts:
        lines = [f"{peer}: {fact}" for peer, facts in known_facts.items() for fact in facts]
        parts.append("<known_facts>\n" + "\n".join(lines) + "\n</known_facts>")
    if summary:
        parts.append(f"<summary>\n{summary}\n</summary>")
    if history:
        lines = [f"{stamp(at)} {peer}: {content}" for at, peer, content in history]
        parts.append("<history>\n" + "\n".join(lines) + "\n</history>")
    lines = [f"[{n}] {stamp(at)} {peer}: {content}" for n, at, peer, content in new_messages]
    parts.append("<new_messages>\n" + "\n".join(lines) + "\n</new_messages>")
    return "\n\n".join(parts)


SUMMARY_SYSTEM = """\
You write the running summary of a conversation for an assistant that will continue it. Fold the
previous summary and the new messages into one chronological narrative: facts, preferences,
requests, decisions and open topics{long_extra}. Write at most {words} words. Reply with the
summary text only."""

LONG_EXTRA = ", plus each participant's mood, personality and recurring themes"


def summary_prompt(previous: str | None, messages: list[tuple[str, str]]) -> str:
    previous_text = (
        previous or "There is no previous summary: this is the start of the conversation."
    )
    conversation = "\n".join(f"{peer}: {content}" for peer, content in messages)
    return (
        f"<previous_summary>\n{previous_text}\n</previous_summary>\n\n"
        f"<conversation>\n{conversation}\n</conversation>"
    )


PEER_CARD_SYSTEM = """\
You keep a short card of stable facts about a person: name, nicknames, location, age, occupation,
relationships, interests, likes and dislikes. Update the card with the new observations: keep
permanent facts, replace what they contradict, never generalise from one-off behaviour, add only
what the observations state. At most {max_lines} short lines. Return only JSON: {{"card": [...]}},
or {{"card": null}} when nothing should change."""


class CardUpdate(BaseModel):
    card: list[str] | None = None


def peer_card_prompt(observed: str, old_card: list[str], observations: list[str]) -> str:
    old = "\n".join(old_card) if old_card else "(no card yet)"
    new = "\n".join(f"- {o}" for o in observations)
    return (
        f"<person>{observed}</person>\n\n<card>\n{old}\n</card>\n\n"
        f"<observations>\n{new}\n</observations>"
    )
