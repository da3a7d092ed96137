"""Assemble the FastAPI application: routes, and one JSON error shape for every failure."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.idempotency import IdempotencyKeys, replay
from api.ratelimit import RateLimited, TokenBucket
from api.routes import auth, me, operations, orders, public, technician, webhooks
from api.schemas import StatusOut
from ops_db.billing.stripe_payments import StripeConfig, stripe_config
from ops_db.i18n import error_in, negotiate
from ops_db.identity.service import AuthenticationFailed, SignInThrottled
from ops_db.kit import bounds
from ops_db.kit.db import app_engine
from ops_db.kit.errors import (
    ConfigurationError,
    Conflict,
    DatabaseUnavailable,
    NotFound,
    PermissionDenied,
    RepairOpsError,
)
from ops_db.kit.idempotency import AlreadyDone
from ops_db.kit.uow import translate_db_error
from ops_db.settings import get_settings

TECH_APP = Path(__file__).resolve().parent / "tech_app"
STATUS = [
    (RateLimited, 429),
    (SignInThrottled, 429),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (DatabaseUnavailable, 503),
    (ConfigurationError, 503),
]
HTTP_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


HTTP_SENTENCES = {
    404: "There is no such endpoint.",
    405: "That method is not allowed on this endpoint.",
    413: "The request is too large.",
    415: "Send the body as JSON.",
    400: "The request is malformed.",
}


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _validation_sentence(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first: dict[str, Any] = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",)) or "request"
    if first.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    message = str(first.get("msg", "is not valid")).rstrip(".")
    return f"{where}: {message}."


def _too_large(limit: int) -> str:
    return f"The request is too large: send at most {limit / (1024 * 1024):g} MB."


class BodyTooLarge(StarletteHTTPException):
    """The body passed the limit while it streamed in (the handler of HTTP errors turns it into the JSON 413)."""

    def __init__(self, limit: int) -> None:
        # Connection: close, so the server does not go on reading (draining) what nobody will use.
        super().__init__(413, _too_large(limit), headers={"connection": "close"})


class RequestGuard:
    """Limits every request before the API reads it: an address holding a NUL character gets 422 at once; a body
    announced (``Content-Length``) larger than the limit gets 413 at once, unread; and any body is counted as it
    streams in, so one sent without a length, or with a false one, is refused (413) as soon as it passes the
    limit: nobody can make the API read more than ``limit`` bytes (``narrower``: a smaller limit for the paths
    under a prefix, such as webhooks)."""

    def __init__(self, app: ASGIApp, limit: int, narrower: dict[str, int] | None = None) -> None:
        self.app, self.limit, self.narrower = app, limit, narrower or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for prefix, n in self.narrower.items() if path.startswith(prefix)), self.limit)
        refusal = self._refusal(scope, limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside a route (the routes' errors reach the JSON handler first)
            if started:
                raise
            await _error(413, HTTP_CODES[413], exc.detail, exc.headers)(scope, receive, send)

    @staticmethod
    def _refusal(scope: Scope, limit: int) -> JSONResponse | None:
        address = scope.get("path", "") + unquote(scope.get("query_string", b"").decode("latin-1"))
        if bounds.NUL in address:
            return _error(422, "validation_error", "The address contains a NUL character, which cannot be stored.")
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return _error(413, HTTP_CODES[413], _too_large(limit), {"connection": "close"})
        return None


def create_app(
    database_url: str,
    *,
    public_burst: int = 30,
    public_per_second: float = 1.0,
    stripe: StripeConfig | None = None,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """The REST API over the services of the database at ``database_url`` (Stripe keys from the settings unless
    ``stripe`` is given; request bodies up to ``max_body_bytes``, by default the setting)."""
    limit = max_body_bytes or get_settings().max_request_bytes
    app = FastAPI(
        title="RepairOps API",
        version="1.0",
        description="Repair requests, service orders, dispatch, stock and billing. Errors are "
        '`{"error": code, "message": one plain sentence}`, the sentence in the language '
        "of `Accept-Language` (en, ru, pt-BR, zh-CN).",
    )
    app.state.engine = app_engine(database_url)
    app.state.public_bucket = TokenBucket(public_burst, public_per_second)
    app.state.stripe = stripe or stripe_config(get_settings())
    for module in (public, auth, orders, operations, me, technician, webhooks):
        app.include_router(module.router)
    # The technician's phone app (manifest, service worker, the page): static files on the API's own origin.
    app.mount("/tech", StaticFiles(directory=TECH_APP, html=True), name="tech")
    app.add_middleware(IdempotencyKeys)  # inside the guard: bodies are bounded before they are digested
    app.add_exception_handler(AlreadyDone, replay)
    app.add_middleware(RequestGuard, limit=limit, narrower={webhooks.router.prefix: webhooks.MAX_EVENT_BYTES})

    @app.exception_handler(RepairOpsError)
    async def domain_error(request: Request, exc: RepairOpsError) -> JSONResponse:
        # The sentence follows the caller's Accept-Language (en, ru, pt-BR, zh-CN); the code stays the same.
        status = next((s for kind, s in STATUS if isinstance(exc, kind)), 422)
        return _error(status, exc.code, error_in(exc, negotiate(request.headers.get("accept-language"))))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # Raised outside a unit of work (a connection that cannot be opened, a company looked up by its slug): the
        # same sentences as inside one; a database that cannot be reached is a 503.
        return await domain_error(request, translate_db_error(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "validation_error", _validation_sentence(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = HTTP_SENTENCES.get(exc.status_code, "The request cannot be served.")
        if isinstance(exc.detail, str) and exc.detail.endswith("."):
            message = exc.detail  # a sentence we wrote ourselves
        response = _error(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return _error(500, "internal_error", "Something went wrong on our side; the change was not made.")

    @app.get("/health", tags=["meta"], summary="Liveness", response_model=StatusOut)
    def health() -> StatusOut:
        """The API is up."""
        return StatusOut(status="ok")

    return app


def serve(database_url: str, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API with uvicorn until interrupted."""
    import uvicorn

    # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer; api.ratelimit reads it,
    # from REPAIROPS_TRUSTED_PROXIES only.
    uvicorn.run(create_app(database_url), host=host, port=port, log_level="info", proxy_headers=False)
