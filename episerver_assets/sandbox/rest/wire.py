"""Wire formats shared by all REST endpoints: timestamps, JSON bodies and Campaign's error body."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response


def timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 with milliseconds and offset, e.g. `2024-05-01T10:00:00.000+00:00`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: the vendor schemas declare no property nullable."""
    return {key: value for key, value in body.items() if value is not None}


class ApiError(Exception):
    """An error answer: status, message and optional violations, in Campaign's error body."""

    def __init__(self, status: int, message: str, violations: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = violations or []


def invalid_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, f"Invalid parameter {name}: {message}", [{"property": name, "message": message}])


def error_response(
    status: int,
    message: str,
    violations: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {"httpStatusCode": status, "errorMessage": message, "violations": violations or []}
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Campaign REST API"'
    return JSONResponse(body, status_code=status, headers=headers)


def api_error_response(error: ApiError) -> Response:
    return error_response(error.status, error.message, error.violations)
