"""Intake: a file of credentials becomes stored credentials and open cases, all or nothing."""

from __future__ import annotations

from pathlib import Path

from qa_engine.adapters.credential_io import read_credentials_file
from qa_engine.config import get_settings
from qa_engine.domain.errors import NotFound
from qa_engine.domain.roles import SYSTEM, Actor
from qa_engine.services import cases as case_service
from qa_engine.services import credentials as credential_service
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope


def import_and_open(path: Path, *, rubric_id: str = case_service.DEFAULT_RUBRIC,
                    actor_username: str | None = None) -> list[int]:
    """Import the file and open a case for every credential that has no open case; return the case ids."""
    settings = get_settings()
    with session_scope() as session:
        actor: Actor = SYSTEM
        if actor_username:
            user = repo.get_user_by_username(session, actor_username)
            if user is None:
                raise NotFound(f"no user {actor_username}")
            actor = repo.actor_for(session, user)
        known = set(repo.institution_codes(session))
    items = read_credentials_file(path, max_bytes=settings.max_upload_bytes,
                                  max_unzipped_bytes=settings.max_unzipped_bytes, known_providers=known or None)
    opened: list[int] = []
    with session_scope() as session:
        summary = credential_service.import_credentials(session=session, actor=actor, items=items, source=path.name)
        for version in summary.versions:
            if case_repo.open_case_for_credential(session, version.credential_id) is None:
                case = case_service.open_case(session=session, actor=actor, credential_id=version.credential_id,
                                              rubric_id=rubric_id)
                opened.append(case.id)
    return opened
