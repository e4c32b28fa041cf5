"""Public identifiers: 21 characters of [A-Za-z0-9_-], the nanoid alphabet the API exposes."""

import secrets


def new_id() -> str:
    # token_urlsafe(16) yields 22 url-safe base64 characters carrying 128 random bits.
    return secrets.token_urlsafe(16)[:21]
