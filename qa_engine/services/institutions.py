"""The alliance's institutions."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.domain import i18n
from qa_engine.domain.errors import NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import SYSTEM
from qa_engine.services import audit
from qa_engine.store import repositories as repo
from qa_engine.store.models import Institution

# (code, English name, name in the institution's language, city, country, membership)
ALLIANCE: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("CUNI", "Charles University", "Univerzita Karlova", "Prague", "CZ", "member"),
    (
        "UHEI",
        "Heidelberg University",
        "Ruprecht-Karls-Universität Heidelberg",
        "Heidelberg",
        "DE",
        "member",
    ),
    (
        "UPA",
        "Paris Panthéon-Assas University",
        "Université Paris-Panthéon-Assas",
        "Paris",
        "FR",
        "member",
    ),
    ("SU", "Sorbonne University", "Sorbonne Université", "Paris", "FR", "coordinator"),
    ("UCPH", "University of Copenhagen", "Københavns Universitet", "Copenhagen", "DK", "member"),
    ("UNIMI", "University of Milan", "Università degli Studi di Milano", "Milan", "IT", "member"),
    ("UW", "University of Warsaw", "Uniwersytet Warszawski", "Warsaw", "PL", "member"),
    ("UNIGE", "University of Geneva", "Université de Genève", "Geneva", "CH", "associated"),
)


def seed_institutions(*, session: Session) -> int:
    """Create the alliance's institutions that are missing; return how many were added."""
    added = 0
    for code, name, local, city, country, membership in ALLIANCE:
        if repo.get_institution_by_code(session, code) is None:
            inst = Institution(
                code=code,
                name=name,
                local_name=local,
                city=city,
                country=country,
                membership=membership,
            )
            session.add(inst)
            session.flush()
            audit.record(
                session,
                actor=SYSTEM,
                action="institution.created",
                subject_type="institution",
                subject_id=code,
                payload={"name": name},
            )
            added += 1
    return added


def list_institutions(*, session: Session) -> list[Institution]:
    """The institutions, by code (anyone may read them)."""
    return repo.list_institutions(session)


def set_report_language(*, session: Session, code: str, language: str | None) -> Institution:
    """Ask for the institution's case reports also in `language` (one of the alliance's
    languages), besides English; None or English: English only. Applies to the reports made
    from now on."""
    inst = repo.get_institution_by_code(session, code.strip().upper())
    if inst is None:
        raise NotFound(N_("No institution %(code)s."), code=code)
    lang = None
    if language:
        lang = i18n.supported(language)
        if lang is None or lang != language.strip().lower():
            raise ValidationFailed(
                N_("A report is written in one of %(languages)s, not %(language)s."),
                languages=", ".join(i18n.LANGUAGES),
                language=language,
            )
        if lang == i18n.DEFAULT:
            lang = None  # English is made anyway
    if inst.report_language != lang:
        before = inst.report_language
        inst.report_language = lang
        session.add(inst)
        session.flush()
        audit.record(
            session,
            actor=SYSTEM,
            action="institution.report_language",
            subject_type="institution",
            subject_id=inst.code,
            payload={"before": before, "after": lang},
        )
    return inst
