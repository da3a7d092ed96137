"""The ``Idempotency-Key`` header: a POST sent again with the same key acts once and gets the first answer.

:class:`IdempotencyKeys` carries out each POST that names a key as one submission (``ops_db.kit.idempotency``):
the first unit of work that commits claims the key in its own transaction, with the path and a digest of the body,
so the write and the claim stand or fall together. The first successful response is stored with the claim before
it is sent; a repeat is answered with it (the :func:`replay` handler of ``AlreadyDone``), marked
``Idempotent-Replayed: true``. A failed request claims nothing, so it may be sent again with the same key. The
same key on another path, with another body or by someone else is refused (409). Sign-in and token paths are left
out: their answers hold tokens, which are never stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ops_db.i18n import error_in, negotiate
from ops_db.kit.errors import Conflict, RepairOpsError, ValidationError
from ops_db.kit.idempotency import KEY_LIMIT, AlreadyDone, Pending, remember_response, submitting
from ops_db.kit.uow import Actor, UnitOfWork

HEADER = "idempotency-key"
REPLAYED = "idempotent-replayed"
# Answers that hold secrets (tokens) are never stored; webhooks carry their own event ids.
NOT_KEYED = ("/api/v1/auth/", "/api/v1/webhooks/")


class IdempotencyKeys:
    """ASGI middleware: each POST with an ``Idempotency-Key`` is one submission (see the module's text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = Headers(scope=scope).get(HEADER, "").strip() if scope["type"] == "http" else ""
        path = scope.get("path", "")
        if not key or scope.get("method") != "POST" or path.startswith(NOT_KEYED):
            await self.app(scope, receive, send)
            return
        if len(key) > KEY_LIMIT:
            refusal = ValidationError("Give an idempotency key of 1 to {limit} characters.", limit=KEY_LIMIT)
            await _answer(refusal, 422, Headers(scope=scope))(scope, receive, send)
            return
        with submitting(key, f"POST {path}") as pending:
            assert pending is not None
            await self._carry_out(scope, receive, send, pending)

    async def _carry_out(self, scope: Scope, receive: Receive, send: Send, pending: Pending) -> None:
        body = hashlib.sha256()

        async def read() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.update(message.get("body", b""))
                # The claim is made at the first commit, after the route has read the whole body.
                pending.fingerprint = body.hexdigest()
            return message

        held: list[Message] = []

        async def answer(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await self._remember(scope, pending, held)
                for part in held:
                    await send(part)
                held.clear()

        await self.app(scope, read, answer)

    @staticmethod
    async def _remember(scope: Scope, pending: Pending, held: list[Message]) -> None:
        """Store a successful JSON answer with the claim (when a unit of work claimed the key)."""
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if start is None or pending.claimed_by is None or not 200 <= start["status"] < 300:
            return
        raw = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        try:
            content: Any = json.loads(raw) if raw else None
        except ValueError:
            return
        engine = scope["app"].state.engine
        uow = UnitOfWork(engine, Actor.system(pending.claimed_by, "idempotency"))
        await run_in_threadpool(remember_response, uow, pending.key, {"status": start["status"], "content": content})


def _answer(error: RepairOpsError, status: int, headers: Headers) -> JSONResponse:
    """The API's error shape, the sentence in the caller's language."""
    message = error_in(error, negotiate(headers.get("accept-language")))
    return JSONResponse({"error": error.code, "message": message}, status_code=status)


async def replay(request: Request, exc: Exception) -> Response:
    """The first answer to a request sent again with its key; 409 while the first is still being answered."""
    assert isinstance(exc, AlreadyDone)
    first = exc.result.get("response")
    if not isinstance(first, dict):
        still = Conflict("A request with that idempotency key is still being carried out.")
        return _answer(still, 409, request.headers)
    status = int(first.get("status", 200))
    if status == 204:
        return Response(status_code=204, headers={REPLAYED: "true"})
    return JSONResponse(first.get("content"), status_code=status, headers={REPLAYED: "true"})
