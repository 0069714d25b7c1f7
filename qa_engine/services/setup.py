"""Bring a data folder and database to a working state."""

from __future__ import annotations

from qa_engine.config import get_settings
from qa_engine.domain.i18n import N_, Nn_, Np_, Phrase
from qa_engine.services.institutions import seed_institutions
from qa_engine.store.db import get_engine, session_scope
from qa_engine.store.migrate import current_revision, upgrade


def initialise() -> list[str]:
    """Migrate, seed, and report what was done (idempotent)."""
    settings = get_settings()
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    engine = get_engine()
    upgrade(engine)
    lines: list[str] = [
        Phrase(
            Np_(
                N_("database %(url)s at revision %(revision)s"),
                url=engine.url.render_as_string(),
                revision=current_revision(engine),
            )
        )
    ]
    with session_scope() as session:
        added = seed_institutions(session=session)
    lines.append(
        Phrase(Nn_("institutions: %(num)s added", "institutions: %(num)s added", added))
        if added
        else Phrase(Np_(N_("institutions: already present")))
    )
    return lines
