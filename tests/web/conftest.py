"""Fixtures of the web tests: a real committed SQLite data folder, the app, clients signed in as
someone (by session cookie or API token), and the automated stages run without Prefect."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_engine.config import reset_settings
from qa_engine.store.db import reset_engines, session_scope


def direct_kick(case_ids, *, idempotency: str = "") -> str:
    """Stand-in for `qa_engine.workflows.kick.kick` in web tests.

    It runs the same steps as the `advance-case` flow (`next_step` then `run_step`, one transaction
    per step, the real report generator) but without Prefect, so that the web tests need no Prefect
    server; the flows themselves are tested in tests/workflows/test_flows.py.
    """
    from qa_engine.workflows.flows import drive_in_process

    for case_id in sorted(set(case_ids)):
        drive_in_process(case_id)
    return "advanced in-process"


@contextmanager
def data_folder(
    path: Path,
    mp: pytest.MonkeyPatch,
    *,
    template: Path | None = None,
    database_url: str | None = None,
) -> Iterator[Path]:
    """Point the engine at a data folder: a copy of `template`, or a fresh one (migrated, seeded,
    with the development PKI that signs reports); with `database_url`, the database lives there."""
    import qa_engine.workflows.kick
    from qa_engine.cli.main import initialise_all

    if template is not None:
        shutil.copytree(template, path)
    mp.setenv("QA_DATA_DIR", str(path))
    if database_url:
        mp.setenv("QA_DATABASE_URL", database_url)
    else:
        mp.delenv("QA_DATABASE_URL", raising=False)
    mp.setenv("QA_ENV", "test")
    # identifiers for the interop exports (demo values), so that a decided case has them all
    from qa_engine.cli.demo import write_demo_profile

    path.mkdir(parents=True, exist_ok=True)
    mp.setenv("QA_INTEROP_PROFILE", str(write_demo_profile(path)))
    mp.setattr(qa_engine.workflows.kick, "kick", direct_kick)
    reset_settings()
    reset_engines()
    if template is None:
        initialise_all()
    try:
        yield path
    finally:
        reset_engines()
        reset_settings()


@pytest.fixture(scope="session")
def template_folder(tmp_path_factory) -> Path:
    """Built once: a migrated, seeded data folder with the PKI and one person per role
    (tests.helpers.people)."""
    from tests.helpers import people

    path = tmp_path_factory.mktemp("template") / "data"
    with pytest.MonkeyPatch.context() as mp, data_folder(path, mp):
        with session_scope() as s:
            people(s)
    return path


@pytest.fixture
def web_env(tmp_path, template_folder) -> Iterator[Path]:
    with (
        pytest.MonkeyPatch.context() as mp,
        data_folder(tmp_path / "data", mp, template=template_folder) as path,
    ):
        yield path


@pytest.fixture
def pg_web_env(tmp_path) -> Iterator[Path]:
    """A fresh PostgreSQL database of its own (the shared test database is for rolled-back tests
    only)."""
    from tests.conftest import throwaway_pg_database
    from tests.helpers import people

    with (
        throwaway_pg_database("qa_web") as db,
        pytest.MonkeyPatch.context() as mp,
        data_folder(tmp_path / "data", mp, database_url=db.url) as path,
    ):
        with session_scope() as s:
            people(s)
        yield path


@pytest.fixture
def app(web_env):
    from qa_engine.web.app import create_app

    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    # as a browser set to English: without Accept-Language, a person of a Czech or Polish
    # institution reads the pages in the institution's language (tests/web/test_i18n.py)
    with TestClient(app, headers={"Accept-Language": "en"}) as c:
        yield c


@pytest.fixture
def p(web_env) -> dict:
    """One person per role (see tests/helpers.py), committed."""
    from tests.helpers import people

    with session_scope() as s:
        return people(s)
