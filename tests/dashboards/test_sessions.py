"""The web app re-checks the signed-in person on every rerun (AppTest, real Postgres): a session ended anywhere
else (signed out on another device, the account locked, the company switched off) signs this browser out with
the reason, and Sign out ends the session on the server, not only in the browser. Each test makes its own people."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db.identity import sessions
from ops_db.identity.service import AuthenticationFailed, authenticate, create_user, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from tests.dashboards.conftest import APP

PASSWORD = "session-pass-1"
SIGN_IN_TITLE = "Sign in to RepairOps"


def _signed_in(demo_db: str) -> AppTest:
    """A new dispatcher of the demo company, signed in (a session of its own) in a new browser session."""
    engine = db.app_engine(demo_db)
    tenant_id = resolve_tenant(engine, "riverside")
    email = f"session-{uuid.uuid4().hex[:8]}@riverside.example"
    create_user(UnitOfWork(engine, Actor.system(tenant_id)), email, "Sol Session", PASSWORD, ["dispatcher"])
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["actor"] = authenticate(engine, tenant_id, email, PASSWORD).actor
    app.run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.title[0].value != SIGN_IN_TITLE
    return app


def _actor(app: AppTest) -> Actor:
    actor = app.session_state["actor"]
    assert isinstance(actor, Actor) and actor.session_id is not None
    return actor


def _signed_out_saying(app: AppTest, sentence: str) -> None:
    assert not app.exception
    assert app.title[0].value == SIGN_IN_TITLE
    assert [w.value for w in app.warning] == [sentence]
    app.run()  # said once; the next rerun is a plain sign-in page
    assert app.title[0].value == SIGN_IN_TITLE and not app.warning


def test_signing_out_on_another_device_signs_this_browser_out(ops_env: Path, demo_db: str) -> None:
    app = _signed_in(demo_db)
    sessions.sign_out_everywhere(UnitOfWork(db.app_engine(demo_db), _actor(app)))  # from the phone
    app.run()
    _signed_out_saying(app, sessions.ENDED_BECAUSE["signed_out_everywhere"])


def test_a_locked_account_is_signed_out_at_the_next_click(ops_env: Path, demo_db: str) -> None:
    app = _signed_in(demo_db)
    with db.admin_engine(demo_db).begin() as conn:
        conn.execute(
            text("UPDATE users SET locked_until = now() + interval '15 minutes' WHERE id = :u"),
            {"u": _actor(app).user_id},
        )
    app.run()
    _signed_out_saying(app, sessions.ENDED_BECAUSE["locked"])


def test_the_sign_out_button_ends_the_session_on_the_server(ops_env: Path, demo_db: str) -> None:
    app = _signed_in(demo_db)
    actor = _actor(app)
    app.button(key="sign_out").click().run()
    assert not app.exception and app.title[0].value == SIGN_IN_TITLE and not app.warning
    with db.admin_engine(demo_db).connect() as conn:
        reason: str = conn.execute(
            text("SELECT revoked_reason FROM auth_sessions WHERE id = CAST(:s AS uuid)"), {"s": actor.session_id}
        ).scalar_one()
    assert reason == "signed_out"
    # A copy of the browser's state (a second tab, a stolen cookie) cannot act on it any more.
    try:
        sessions.check_session(db.app_engine(demo_db), actor)
    except AuthenticationFailed as refused:
        assert str(refused) == sessions.ENDED_BECAUSE["signed_out"]
    else:
        raise AssertionError("the session still works after signing out")
