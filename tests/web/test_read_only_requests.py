"""A page view or an API read is a read-only unit of work: on SQLite it does not wait for the writer
(another process's, here); the little that using a session writes (its last visit, once a minute)
is written apart, only when due; a message for the next page is a signed cookie, not a write."""

from __future__ import annotations

import base64
import sqlite3
from datetime import timedelta

from qa_engine.domain.credential import parse_credential
from qa_engine.services import web_sessions
from qa_engine.services.context import now, set_clock
from qa_engine.store import web_repo
from qa_engine.store.db import session_scope
from qa_engine.web.auth import FLASH_COOKIE, SESSION_COOKIE
from tests.helpers import SAMPLES
from tests.web.support import bearer, signed_in, token_for
from tests.web.test_pages import _form_fields


def _session_row(client):
    with session_scope() as s:
        return web_repo.get_web_session(s, web_sessions.digest(client.cookies.get(SESSION_COOKIE)))


def test_reads_answer_while_another_process_holds_the_write_lock(client, p, web_env):
    signed_in(client, "officer")
    token = bearer(token_for("officer", "read"))
    client.get(
        "/api/v1/me", headers=token
    )  # the token's first use is recorded now, not under the lock
    locker = sqlite3.connect(web_env / "qa-engine.db", isolation_level=None, timeout=30)
    locker.execute("BEGIN IMMEDIATE")
    # a request that began a write transaction would wait the 30 s busy timeout, then fail with 503
    try:
        assert client.get("/").status_code == 200
        assert client.get("/cases").status_code == 200
        assert client.get("/api/v1/cases").status_code == 200
        assert client.get("/api/v1/me", headers=token).status_code == 200
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_a_page_view_records_the_visit_once_a_minute(client, p):
    signed_in(client, "officer")
    first = _session_row(client).last_seen_at
    assert client.get("/").status_code == 200
    assert _session_row(client).last_seen_at == first  # within a minute: nothing written
    later = now() + web_sessions.TOUCH_EVERY + timedelta(seconds=5)
    set_clock(later)
    try:
        assert client.get("/").status_code == 200
    finally:
        set_clock(None)
    assert _session_row(client).last_seen_at == later


def test_a_flash_message_is_shown_once(client, p):
    csrf = signed_in(client, "prov.cuni")
    fields = _form_fields(parse_credential(SAMPLES[0]).canonical())
    r = client.post("/credentials/new", data={**fields, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert FLASH_COOKIE in r.headers["set-cookie"]
    shown = client.get(r.headers["location"])
    assert "Credential saved." in shown.text and client.cookies.get(FLASH_COOKIE) is None
    assert "Credential saved." not in client.get(r.headers["location"]).text


def test_a_flash_message_is_bound_to_the_session_and_signed(client, p):
    csrf = signed_in(client, "prov.cuni")
    fields = _form_fields(parse_credential(SAMPLES[0]).canonical())
    r = client.post("/credentials/new", data={**fields, "csrf_token": csrf}, follow_redirects=False)
    target, cookie = r.headers["location"], client.cookies.get(FLASH_COOKIE)
    encoded, _, mac = cookie.rpartition(".")
    forged = base64.urlsafe_b64encode(b"Your account is suspended.").decode() + "." + mac
    client.cookies.set(FLASH_COOKIE, forged)
    assert "suspended" not in client.get(target).text
    signed_in(client, "prov.cuni")  # another session of the same person, in the same browser
    client.cookies.set(FLASH_COOKIE, cookie)
    assert "Credential saved." not in client.get(target).text


def test_a_dead_session_is_deleted_by_the_read_that_finds_it(client, p):
    signed_in(client, "officer")
    set_clock(now() + web_sessions.SESSION_IDLE + timedelta(minutes=1))
    try:
        assert client.get("/", follow_redirects=False).status_code == 303
    finally:
        set_clock(None)
    assert _session_row(client) is None


def test_more_concurrent_writers_than_worker_threads_all_get_through(app, p):
    """Twelve providers' form posts at once on two worker threads: each request's transaction begins
    and ends around its own handler, so none waits for a thread held by a request that waits for it.
    """
    import asyncio

    import anyio.to_thread
    import httpx

    from tests.web.support import session_for

    fields = _form_fields(parse_credential(SAMPLES[0]).canonical())

    async def run() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        transport = httpx.ASGITransport(app=app)

        async def post(i: int) -> int:
            sid, csrf = session_for("prov.cuni")
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies={SESSION_COOKIE: sid}
            ) as c:
                r = await c.post(
                    "/credentials/new",
                    data={**fields, "reference": f"CUNI-MC-LOAD-{i:02d}", "csrf_token": csrf},
                    headers={"Origin": "http://testserver"},
                )
                return r.status_code

        return await asyncio.wait_for(asyncio.gather(*[post(i) for i in range(12)]), timeout=25)

    assert asyncio.run(run()) == [303] * 12
