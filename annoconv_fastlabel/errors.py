"""FastLabel API errors, mapped from HTTP status codes.

Every error raised by the client or the sync is an :class:`APIError`, itself an
:class:`annoconv.errors.AnnoconvError`, so ``annoconv`` exits with code 7 on any of them.
Each carries ``status`` (the HTTP status, or ``None`` when no response came back or the request
was refused before sending), ``api_message`` (the server's ``message`` field, else the body
text) and ``body`` (the parsed JSON body, else the text, else ``None``). ``message`` / ``str()``
is the full one-line description: where (``GET tasks/image``), which item, and what happened.

Status -> class (the SDK raises ``FastLabelInvalidException`` for every 4xx and
``FastLabelException`` otherwise; these are finer):

    401 AuthenticationError   403 PermissionDeniedError   404 NotFoundError   409 ConflictError
    422 ValidationError (also: refused locally before sending, ``status`` None)
    429 RateLimitError (``retry_after`` in seconds when the server said)
    other 4xx BadRequestError   5xx ServerError   connection failure / timeout APIConnectionError / APITimeoutError
    any other status (e.g. 201: the API only answers 200 or 204) UnexpectedResponseError
"""

from __future__ import annotations

from typing import Any

from annoconv.errors import AnnoconvError


class APIError(AnnoconvError):
    """A FastLabel API call failed. See the module docstring for the attributes."""

    def __init__(self, problem: str, *, status: int | None = None, api_message: str | None = None,
                 body: Any = None, location: str | None = None, item: str | None = None) -> None:
        self.status = status
        self.api_message = api_message
        self.body = body
        super().__init__(problem, location=location, item=item)


class ConfigurationError(APIError, ValueError):
    """The client cannot be set up (no access token, bad base URL)."""


class AuthenticationError(APIError):
    """401: the access token is missing, wrong or expired."""


class PermissionDeniedError(APIError):
    """403: the token is valid but may not do this."""


class BadRequestError(APIError, ValueError):
    """A 4xx the server gave for a request it will never accept as it is."""


class NotFoundError(BadRequestError, LookupError):
    """404: no such project, task or annotation class."""


class ConflictError(BadRequestError):
    """409: the object exists already (e.g. a task of the same name)."""


class ValidationError(BadRequestError):
    """422 from the server, or a request refused locally (``status`` None): bad upload, limit > 1000."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` is the server's Retry-After in seconds, if any."""

    def __init__(self, problem: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(problem, **kwargs)


class ServerError(APIError):
    """5xx: the server failed; the request may or may not have taken effect."""


class UnexpectedResponseError(APIError):
    """A status the API contract does not allow (e.g. 201, 3xx) or a success without the expected JSON."""


class APIConnectionError(APIError, ConnectionError):
    """No response: the connection failed or was dropped. A POST may or may not have taken effect."""


class APITimeoutError(APIConnectionError):
    """No response within the timeout."""


class SyncError(APIError):
    """A pull or push cannot start (e.g. the project lacks classes the dataset uses)."""


class MissingClassesError(SyncError):
    """The project has no annotation class for some labels of the dataset (``missing`` lists them)."""

    def __init__(self, problem: str, *, missing: list[str], **kwargs: Any) -> None:
        self.missing = missing
        super().__init__(problem, **kwargs)


def error_for_status(status: int) -> type[APIError]:
    """The error class for an HTTP status that is not a success."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 422:
        return ValidationError
    if status == 429:
        return RateLimitError
    if 400 <= status < 500:
        return BadRequestError
    if 500 <= status < 600:
        return ServerError
    return UnexpectedResponseError
