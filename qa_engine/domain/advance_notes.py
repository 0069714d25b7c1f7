"""The short notes a kick (`qa_engine.workflows.kick`) returns about the cases it advanced: English
wherever a string is used (a log line), each a `Phrase` that the command line shows in its
language. They are written here, inside the package, where the catalogs' extraction reads them."""

from __future__ import annotations

from qa_engine.domain.i18n import N_, Nn_, Np_, Phrase


def nothing_to_advance() -> str:
    return Phrase(Np_(N_("nothing to advance")))


def not_started(error: str) -> str:
    return Phrase(
        Np_(
            N_("could not start the flow now (%(error)s); the sweep will advance the case"),
            error=error,
        )
    )


def case_steps(case_id: int, steps: list[str]) -> str:
    if steps:
        return Phrase(Np_(N_("case %(id)s: %(steps)s"), id=case_id, steps="; ".join(steps)))
    return Phrase(Np_(N_("case %(id)s: waiting for a person"), id=case_id))


def cases_advanced(moved: int, total: int) -> str:
    return Phrase(
        Nn_(
            "%(moved)s of %(num)s case advanced",
            "%(moved)s of %(num)s cases advanced",
            total,
            moved=moved,
        )
    )


def runs_queued(count: int) -> str:
    return Phrase(Nn_("%(num)s flow run queued", "%(num)s flow runs queued", count))
