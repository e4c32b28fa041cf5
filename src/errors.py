"""The typed exceptions of the API, mapped to status codes in one place (`install_handlers`)."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)


class HonchoError(Exception):
    status_code = 500
    default_detail = "An unexpected error occurred"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class BadRequestError(HonchoError):
    status_code = 400
    default_detail = "Bad request"


class AuthenticationError(HonchoError):
    status_code = 401
    default_detail = "Invalid or missing credentials"


class ForbiddenError(HonchoError):
    status_code = 403
    default_detail = "This token is not permitted to access this resource"


class NotFoundError(HonchoError):
    status_code = 404
    default_detail = "Resource not found"


class DisabledError(HonchoError):
    status_code = 405
    default_detail = "Feature is disabled"


class ConflictError(HonchoError):
    status_code = 409
    default_detail = "Conflict"


class PayloadTooLargeError(HonchoError):
    status_code = 413
    default_detail = "Payload too large"


class UnsupportedMediaTypeError(HonchoError):
    status_code = 415
    default_detail = "Unsupported media type"


class ValidationError(HonchoError):
    """Semantic validation that the request schema cannot express (string `detail`)."""

    status_code = 422
    default_detail = "Invalid request"


class UpstreamError(HonchoError):
    """A model provider failed after our retries."""

    status_code = 502
    default_detail = "The model provider failed"


class UnavailableError(HonchoError):
    """A feature needs configuration this server does not have."""

    status_code = 503
    default_detail = "Service unavailable"


class BusyError(HonchoError):
    """The database could not serve the request in time; safe for the client to retry."""

    status_code = 503
    default_detail = "The server is busy; retry the request"


# SQLSTATEs a client can provoke only by contention, never by the content of its request.
_RETRYABLE_SQLSTATES = {"55P03", "57014", "40001", "40P01"}


_MAX_ECHOED_CHARS = 200


def _json_safe(value: Any) -> Any:
    """What a validation error echoes back must itself be valid, reasonably small JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str) and len(value) > _MAX_ECHOED_CHARS:
        return value[:_MAX_ECHOED_CHARS] + "..."
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(HonchoError)
    async def _honcho(_: Request, exc: HonchoError) -> JSONResponse:
        headers = {"Retry-After": "1"} if isinstance(exc, BusyError) else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(DBAPIError)
    async def _db(request: Request, exc: DBAPIError) -> JSONResponse:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in _RETRYABLE_SQLSTATES:
            logger.warning(
                "database contention on %s %s: %s", request.method, request.url.path, sqlstate
            )
            return JSONResponse(
                {"detail": BusyError.default_detail}, status_code=503, headers={"Retry-After": "1"}
            )
        logger.exception("database error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": HonchoError.default_detail}, status_code=500)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": HonchoError.default_detail}, status_code=500)


class ConfigurationMissing(RuntimeError):
    """Startup cannot continue; the message says what to configure or run."""
