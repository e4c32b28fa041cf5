"""The SDK's exceptions: one small tree, mapped from HTTP status codes in one place.

    HonchoError
    ├── APIConnectionError          the server could not be reached, or the connection failed
    │   └── APITimeoutError         ... by timing out
    └── APIStatusError              the server answered with a non-2xx status
        ├── BadRequestError         400
        ├── AuthenticationError     401
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── ConflictError           409
        ├── UnprocessableEntityError 422
        ├── RateLimitError          429
        └── InternalServerError     5xx

Every `APIStatusError` carries the server's own error message (`message`), the parsed response
body (`body`) and `status_code`; `str(error)` starts with the status code.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "HonchoError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


class HonchoError(Exception):
    """Base class of every error the SDK raises on purpose."""


class APIConnectionError(HonchoError):
    """The request did not get an HTTP answer (refused, reset, DNS, TLS...)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (see the `timeout` argument of `Honcho`)."""


class APIStatusError(HonchoError):
    """The server answered with a non-success status code.

    Attributes:
        status_code: the HTTP status code.
        message: the server's error message (`detail`), validation errors joined into one line.
        body: the decoded JSON body (usually `{"detail": ...}`), or the raw text.
        response: the `httpx.Response`.
    """

    status_code: int

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        self.status_code = response.status_code
        self.message = message
        self.body = body
        self.response = response
        super().__init__(f"{response.status_code} {message}")


class BadRequestError(APIStatusError):
    """400: the request breaks a rule (e.g. too many observers in a session)."""


class AuthenticationError(APIStatusError):
    """401: missing, malformed, forged or expired API key."""


class PermissionDeniedError(APIStatusError):
    """403: a valid key used outside its scope."""


class NotFoundError(APIStatusError):
    """404: the workspace, peer, session, message, observation or webhook does not exist."""


class ConflictError(APIStatusError):
    """409: e.g. the workspace already has the maximum number of webhooks."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was understood but is invalid (names, sizes, filters, configuration)."""


class RateLimitError(APIStatusError):
    """429: too many requests (retried automatically first)."""


class InternalServerError(APIStatusError):
    """5xx: the server (or a model provider behind it) failed."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _describe(detail: Any) -> str:
    """The server's message: a string `detail`, or FastAPI's list of validation errors."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                msg = str(item.get("msg", item))
                parts.append(f"{loc}: {msg}" if loc else msg)
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


def status_error(response: httpx.Response) -> APIStatusError:
    """The exception for a non-2xx response (its body must have been read)."""
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict) and "detail" in body:
        message = _describe(body["detail"])
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:500]
    else:
        message = response.reason_phrase or "error"
    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(message, response=response, body=body)
