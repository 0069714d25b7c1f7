"""Shared fixtures: a real database per backend (SQLite file and a throwaway PostgreSQL database),
each test wrapped in an outer transaction that is rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
os.environ["QA_ENV"] = "test"
# the command line speaks the language of the environment (LANG …); the tests read its English
os.environ["QA_LANGUAGE"] = "en"

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from qa_engine.store.db import make_engine  # noqa: E402
from qa_engine.store.migrate import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "QA_TEST_PG_ADMIN_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
)


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL at {PG_ADMIN_URL} does not answer: {type(exc).__name__}"


@dataclass(frozen=True)
class ThrowawayDatabase:
    name: str
    url: str
    # AUTOCOMMIT, on the server's maintenance database (for pg_terminate_backend and the like)
    admin: Engine


@contextmanager
def throwaway_pg_database(prefix: str) -> Iterator[ThrowawayDatabase]:
    """A fresh PostgreSQL database of its own, named `prefix` plus a random suffix (the test is
    skipped when PostgreSQL does not answer); on the way out its connections are ended and it is
    dropped."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ThrowawayDatabase(name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, admin)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                    f"'{name}'"
                )
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run (dropped at the end)."""
    with throwaway_pg_database(f"qa_test_{os.getpid()}") as db:
        yield db.url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'qa-test.db'}"


_MIGRATED: dict[str, Engine] = {}


def _migrated_engine(url: str) -> Engine:
    if url not in _MIGRATED:
        engine = make_engine(url)
        upgrade(engine)
        _MIGRATED[url] = engine
    return _MIGRATED[url]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, request) -> str:
    if backend == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url) -> Engine:
    return _migrated_engine(db_url)


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back at the end (commits are
    savepoints)."""
    conn = engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    with rolled_back_session(engine) as sess:
        yield sess


@pytest.fixture
def seeded(session) -> Session:
    from qa_engine.services.institutions import seed_institutions

    seed_institutions(session=session)
    return session


@pytest.fixture
def fresh_env(tmp_path, monkeypatch) -> Path:
    """A fresh data folder with its own SQLite database, for CLI and end-to-end tests."""
    from qa_engine.config import reset_settings
    from qa_engine.store.db import reset_engines

    data = tmp_path / "data"
    monkeypatch.setenv("QA_DATA_DIR", str(data))
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
    reset_settings()
    reset_engines()
    yield data
    reset_engines()
    reset_settings()


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One Prefect test server for the whole session (starting one costs ≈10 s).

    Its address is exported as PREFECT_API_URL, so the engine runs flows in the test's process (and
    in the processes the test starts) against it, never in a local Prefect server of its own."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        os.environ["PREFECT_API_URL"] = PREFECT_API_URL.value()
        try:
            yield
        finally:
            os.environ.pop("PREFECT_API_URL", None)


# -- no process outlives the test session ---------------------------------------------------------


def pytest_configure(config):
    """Orphans of the processes the tests start (a local Prefect server whose starter exited, a
    server whose parent was killed) become this process's children, so the session-end check
    below sees them."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def pytest_sessionfinish(session, exitstatus):
    """Fail the session if any process it started is still running (then end them)."""
    try:
        import psutil
    except ImportError:
        return
    me = psutil.Process()
    survivors = []
    for child in me.children(recursive=True):
        try:
            survivors.append((child, " ".join(child.cmdline())[:200]))
        except psutil.Error:
            continue
    # a moment for processes already on their way out (terminated, not yet reaped)
    gone, alive = psutil.wait_procs([c for c, _ in survivors], timeout=5)
    left = [(c, cmd) for c, cmd in survivors if c in alive]
    if not left:
        return
    for child, _ in left:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs([c for c, _ in left], timeout=5)
    lines = "\n".join(f"  pid {c.pid}: {cmd}" for c, cmd in left)
    session.config.pluginmanager.get_plugin("terminalreporter").write_line(
        f"\nprocesses started by the tests were still running at the end (now killed):\n{lines}",
        red=True,
    )
    if session.exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture
def engine_env(tmp_path, monkeypatch):
    """A real, committed database (SQLite file) plus data folder, as the CLI and the flows use
    them."""
    from qa_engine.config import reset_settings
    from qa_engine.services.setup import initialise
    from qa_engine.store.db import reset_engines

    data = tmp_path / "data"
    monkeypatch.setenv("QA_DATA_DIR", str(data))
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
    reset_settings()
    reset_engines()
    initialise()
    yield data
    reset_engines()
    reset_settings()


def write_workflow_settings(path: Path, **overrides) -> Path:
    import yaml

    base = yaml.safe_load((ROOT / "workflows" / "settings.yaml").read_text())
    base.update(overrides)
    path.write_text(yaml.safe_dump(base))
    return path
