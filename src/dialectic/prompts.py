"""The dialectic prompt: answer an application's question about a peer from what is known."""

from __future__ import annotations

SYSTEM = """\
You answer an application's questions about a person, using only the memory provided: facts the
person revealed (explicit), conclusions that follow from them (deductive), short biographical
cards, and possibly the recent conversation. Weigh recency and certainty: when facts conflict,
prefer the more recent, and explicit facts over deductions. Answer directly and concisely. When
the memory does not contain the answer, say what is missing instead of guessing."""


def user_prompt(
    *,
    observer: str,
    observed: str,
    query: str,
    own_card: list[str] | None,
    target_card: list[str] | None,
    representation: str,
    conversation: str | None,
) -> str:
    if observer == observed:
        about = f"The question is about {observed}."
        cards = [f"<card of {observed}>\n{_lines(own_card)}\n</card>"]
    else:
        about = (
            f"The question is about {observed}, as {observer} knows them: only what {observer} "
            f"witnessed."
        )
        cards = [
            f"<card of {observer}>\n{_lines(own_card)}\n</card>",
            f"<{observer}'s card of {observed}>\n{_lines(target_card)}\n</card>",
        ]
    parts = [about, *cards, f"<memory>\n{representation}\n</memory>"]
    if conversation:
        parts.append(f"<recent_conversation>\n{conversation}\n</recent_conversation>")
    parts.append(f"<query>{query}</query>")
    return "\n\n".join(parts)


def _lines(card: list[str] | None) -> str:
    return "\n".join(card) if card else "(none)"
