"""``qa-engine rubrics …``"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from qa_engine.cli.common import _, catalog, cli_language, console, handle_errors, ngettext
from qa_engine.config import get_settings
from qa_engine.domain import numbers
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.rubric_drafts import check_drafts
from qa_engine.domain.rubric_i18n import ISO_639_1, languages_of, localised
from qa_engine.domain.rubric_loader import load_library, rubric_files
from qa_engine.domain.scoring import coverage
from qa_engine.domain.standards import REFERENCES
from qa_engine.services import rubrics as rubric_service

if TYPE_CHECKING:
    from qa_engine.services.rubric_replay import Period

app = typer.Typer(help="Read, check and explain rubric files.", no_args_is_help=True)


@app.command("validate")
@handle_errors
def validate(
    paths: list[Path] | None = typer.Argument(
        None, help="Files or folders (default: the rubrics folder)"
    ),
    against: Path | None = typer.Option(
        None,
        "--against",
        help="A folder of installed rubrics to compare with: a file of the same id must be the"
        " same version with the same content, or a higher version",
    ),
) -> None:
    """Check rubric files; print FILE:LINE: message for every problem (exit 1 if any).

    Each file is checked on its own: it takes the place of an installed file of the same id, and
    its includes resolve against its folder, then the --against folder (or the rubrics folder)."""
    shipped = get_settings().rubrics_dir
    targets = list(paths) if paths else [shipped]
    for p in [*targets, *([against] if against is not None else [])]:
        if not p.exists():
            print(f"{p}:0: " + _("no such file or folder"))
            raise typer.Exit(1)
    if against is not None and not against.is_dir():
        print(f"{against}:0: " + _("--against takes a folder of rubric files"))
        raise typer.Exit(1)
    found = check_drafts(targets, against, shipped)
    gettext = catalog().gettext
    for pr in found.problems:
        print(f"{pr.file}:{pr.line}: {pr.text(gettext)}")
    if found.problems:
        raise typer.Exit(1)
    for note in found.notes:
        console.print(note, markup=False, soft_wrap=True)
    count = len(rubric_files(targets))
    console.print(
        "[green]"
        + _("ok")
        + "[/]: "
        + ngettext("%(num)s rubric file valid", "%(num)s rubric files valid", count)
        % {"num": count}
    )


@app.command("diff")
@handle_errors
def diff(
    old: str = typer.Argument(..., help="id (the version new cases use), id@version, or a file"),
    new: str = typer.Argument(..., help="id, id@version, or a file"),
) -> None:
    """Say in words what changed between two rubric versions, and what becomes covered or
    uncovered among the standards (ESG, EU principles and Annex I elements, DigComp, GreenComp)."""
    from qa_engine.services import rubric_lifecycle
    from qa_engine.store.db import session_scope

    if rubric_lifecycle.is_path(old) and rubric_lifecycle.is_path(new):
        found = rubric_lifecycle.compare_files(old, new)  # two files: no database needed
    else:
        with session_scope() as s:
            found = rubric_lifecycle.compare(session=s, old=old, new=new, paths=True)
    cat = catalog()
    for line in found.lines_in(cat.gettext, cat.ngettext):
        console.print(line, markup=False, soft_wrap=True)


@app.command("publish")
@handle_errors
def publish(
    path: Path = typer.Argument(..., help="The rubric file to publish"),
    reason: str = typer.Option("", "--reason", help="Why this version is published"),
    as_: str | None = typer.Option(
        None, "--as", envvar="QA_ACTOR", help="Act as this user (a QA officer or an admin)"
    ),
) -> None:
    """Validate a rubric file and make it the version new cases use: its content is frozen, the
    previous version is retired, and who published it and why goes into the audit trail."""
    from qa_engine.services import rubric_lifecycle
    from qa_engine.services.actors import acting_user
    from qa_engine.store.db import session_scope

    rubric = rubric_lifecycle.read_draft(path)
    with session_scope() as s:
        actor = acting_user(session=s, username=as_)
        done = rubric_lifecycle.publish(session=s, actor=actor, rubric=rubric, reason=reason)
    retired = (
        "; " + _("retired: %(versions)s") % {"versions": ", ".join(done.retired)}
        if done.retired
        else ""
    )
    console.print(
        _("published %(rubric)s %(version)s (content %(hash)s…); new cases use it")
        % {"rubric": rubric.id, "version": rubric.version, "hash": rubric.content_hash[:16]}
        + retired,
        markup=False,
        soft_wrap=True,
    )


@app.command("list")
@handle_errors
def list_() -> None:
    """List the rubrics in the rubrics folder."""
    lib = load_library([get_settings().rubrics_dir])
    table = Table(title=_("Rubrics"))
    for col in (_("id"), _("version"), _("title"), _("criteria"), _("includes"), _("status")):
        table.add_column(col)
    for rid in lib.ids():
        m = lib.models[rid]
        table.add_row(
            rid,
            m.rubric.version,
            m.rubric.title,
            str(len(m.criteria)),
            ", ".join(f"{i.rubric} ×{i.weight:g}" for i in m.includes) or "-",
            m.rubric.status,
        )
    console.print(table)
    for pr in lib.all_problems():
        text = escape(f"{pr.file}:{pr.line}: {pr.text(catalog().gettext)}")
        console.print("[yellow]" + _("problem") + f"[/] {text}")


@app.command("show")
@handle_errors
def show(
    rubric_id: str,
    language: str | None = typer.Option(
        None,
        "--language",
        "-l",
        help="Show the texts in this language (ISO 639-1, e.g. fr, cs); English where the"
        " rubric does not declare it",
    ),
) -> None:
    """Print a composed rubric: criteria, weights, gates, thresholds."""
    loaded = rubric_service.load(rubric_id)
    r = loaded if language is None else shown_in(loaded, language)
    console.print(
        f"[bold]{r.meta.title}[/] ({r.id} {r.version}, {r.meta.language}) "
        + _("hash %(hash)s…") % {"hash": loaded.content_hash[:16]}
    )
    if r.meta.description:
        console.print(r.meta.description.strip())
    table = Table()
    for col in (_("criterion"), _("title"), _("kind"), _("weight share"), _("gate"), _("maps to")):
        table.add_column(col)
    for rc in r.criteria:
        c = rc.criterion
        gate = (
            _("≥ %(level)s else %(outcome)s")
            % {"level": c.gate.min_level, "outcome": c.gate.otherwise.value}
            if c.gate
            else ""
        )
        table.add_row(
            rc.id,
            c.title,
            c.kind + (f" ({c.scale})" if c.scale else ""),
            numbers.percent(rc.effective_weight),
            gate,
            ", ".join(c.maps_to + c.elements),
        )
    console.print(table)
    for sid, scale in r.scales.items():
        console.print(
            f"{scale.title or sid}: " + "; ".join(f"{lv.value} {lv.label}" for lv in scale.levels),
            markup=False,
        )
    console.print(
        _("Thresholds:")
        + " "
        + "; ".join(f"{t.outcome.value} ≥ {t.min_score:g}" for t in r.thresholds)
    )


def shown_in(rubric: Rubric, language: str) -> Rubric:
    """The rubric in `language`, or a clear error for a code that is not a language."""
    if language not in ISO_639_1:
        raise ValidationFailed(
            N_(
                "--language: '%(language)s' is not an ISO 639-1 language code"
                " (two lower-case letters, e.g. en, fr, cs)"
            ),
            language=language,
        )
    if language not in languages_of(rubric):
        console.print(
            "[yellow]"
            + _("note")
            + "[/]: "
            + _(
                "rubric '%(rubric)s' is not written in '%(language)s' (languages: %(languages)s);"
                " showing English"
            )
            % {
                "rubric": rubric.id,
                "language": language,
                "languages": ", ".join(languages_of(rubric)),
            }
        )
    return localised(rubric, language)


@app.command("coverage")
@handle_errors
def coverage_cmd(rubric_id: str) -> None:
    """Which ESG standards, EU principles and standard elements, and which DigComp 2.2 and
    GreenComp competences the rubric covers, and which it misses."""
    r = rubric_service.load(rubric_id)
    cov = coverage(r)
    table = Table(
        title=_("Coverage of %(rubric)s %(version)s") % {"rubric": r.id, "version": r.version}
    )
    table.add_column(_("reference"))
    table.add_column(_("title"))
    table.add_column(_("criteria"))
    for ref in sorted(cov.covered, key=_ref_order):
        table.add_row(
            ref, REFERENCES[ref].title if ref in REFERENCES else "", ", ".join(cov.covered[ref])
        )
    console.print(table)
    any_missing = False
    for framework, refs in cov.missing.items():
        if refs:
            any_missing = True
            console.print(
                "[yellow]"
                + _("missing")
                + f"[/] {framework}: "
                + ", ".join(f"{r} {REFERENCES[r].title}" for r in refs)
            )
        else:
            console.print("[green]" + _("complete") + f"[/] {framework}")
    if not any_missing:
        console.print(
            "[green]"
            + _("every ESG standard, EU principle and standard element is covered")
            + "[/]"
        )
    # DigComp and GreenComp competence by competence; an area named as a whole counts for none.
    for comp in cov.competences:
        cat = catalog()
        console.print(comp.summary_in(cat.gettext, cat.ngettext), markup=False, soft_wrap=True)
        for c, criteria in comp.addressed.items():
            console.print(
                "  "
                + _("addressed: %(competence)s (%(criteria)s)")
                % {"competence": f"{c} {comp.competences[c]}", "criteria": ", ".join(criteria)},
                markup=False,
                soft_wrap=True,
            )
        console.print("  " + comp.area_summary_in(cat.gettext), markup=False, soft_wrap=True)


def _ref_order(ref: str) -> list[tuple[int, int | str]]:
    import re

    parts = re.split(r"[-.]", ref)
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


# --------------------------------------------------------------- replay and calibrate (issue 18)


@app.command("replay")
@handle_errors
def replay_cmd(
    new: str = typer.Argument(..., help="ID@VERSION, ID (the installed version) or a rubric file"),
    from_: str | None = typer.Option(None, "--from", help="First day of decisions (YYYY-MM-DD)"),
    to: str | None = typer.Option(None, "--to", help="Last day of decisions (YYYY-MM-DD)"),
    institution: str | None = typer.Option(None, help="Only this institution (code, e.g. CUNI)"),
    format_: str = typer.Option("table", "--format", help="table, xlsx or html"),
    output: Path | None = typer.Option(None, "--output", help="Where to write xlsx or html"),
    as_: str | None = typer.Option(
        None, "--as", envvar="QA_ACTOR", help="Act as this user (username); default: the engine"
    ),
) -> None:
    """Re-score every case decided in the period with its stored reviews under the NEW version:
    the recommended outcomes that would change and why, scores before and after, the effect per
    institution, field and EQF level. The run is recorded in the audit trail."""
    from qa_engine.adapters.rubric_evidence import replay_summary, replay_tables
    from qa_engine.cli.evidence_output import check_format, write_tables
    from qa_engine.services.actors import acting_user
    from qa_engine.services.rubric_replay import Period, parse_day, replay_rubric, resolve
    from qa_engine.store.db import session_scope

    fmt = check_format(format_, output)
    period = Period(parse_day(from_, "--from"), parse_day(to, "--to"))
    with session_scope() as session:
        actor = acting_user(session=session, username=as_)
        rubric = resolve(session=session, spec=new)
        report = replay_rubric(
            session=session, actor=actor, new=rubric, period=period, institution=institution
        )
    language = cli_language()
    intro = f"{replay_summary(report, language)}; {_period(period, language)}" + (
        "; " + _("institution %(code)s") % {"code": institution.upper()} if institution else ""
    )
    title = _("Replay of %(rubric)s %(version)s") % {
        "rubric": rubric.id,
        "version": rubric.version,
    }
    write_tables(replay_tables(report, language), title, intro, fmt, output, language)


@app.command("calibrate")
@handle_errors
def calibrate_cmd(
    rubric_spec: str = typer.Argument(
        ..., metavar="RUBRIC", help="ID, ID@VERSION or a rubric file (titles, scales, gates)"
    ),
    from_: str | None = typer.Option(None, "--from", help="First day of decisions (YYYY-MM-DD)"),
    to: str | None = typer.Option(None, "--to", help="Last day of decisions (YYYY-MM-DD)"),
    institution: str | None = typer.Option(None, help="Only this institution (code, e.g. CUNI)"),
    format_: str = typer.Option("table", "--format", help="table, xlsx or html"),
    output: Path | None = typer.Option(None, "--output", help="Where to write xlsx or html"),
    as_: str | None = typer.Option(
        None, "--as", envvar="QA_ACTOR", help="Act as this user (username); default: the engine"
    ),
) -> None:
    """From the stored reviews of the period, per criterion: agreement across cases,
    disagreement beyond the consolidation threshold, self-assessment vs peers, gate failures,
    comments that contradict the score; the criteria most worth rewording first."""
    from qa_engine.adapters.rubric_evidence import calibration_tables
    from qa_engine.cli.evidence_output import check_format, write_tables
    from qa_engine.services.actors import acting_user
    from qa_engine.services.calibration import calibrate_rubric
    from qa_engine.services.rubric_replay import Period, parse_day, resolve
    from qa_engine.store.db import session_scope

    fmt = check_format(format_, output)
    period = Period(parse_day(from_, "--from"), parse_day(to, "--to"))
    with session_scope() as session:
        actor = acting_user(session=session, username=as_)
        rubric = resolve(session=session, spec=rubric_spec)
        report = calibrate_rubric(
            session=session, actor=actor, rubric=rubric, period=period, institution=institution
        )
    language = cli_language()
    rounds = ngettext("%(num)s decided round", "%(num)s decided rounds", report.rounds) % {
        "num": report.rounds
    }
    flagged = ngettext(
        "%(num)s criterion flagged", "%(num)s criteria flagged", len(report.flagged)
    ) % {"num": len(report.flagged)}
    intro = f"{rubric.id} {rubric.version}: {rounds}, {_period(period, language)}; {flagged}"
    title = _("Calibration of %(rubric)s %(version)s") % {
        "rubric": rubric.id,
        "version": rubric.version,
    }
    write_tables(calibration_tables(report, language), title, intro, fmt, output, language)


def _period(period: Period, language: str) -> str:
    """The period of a replay or a calibration in words and days of the command line's language."""
    from qa_engine.adapters.translations import format_date

    return period.words(catalog().gettext, lambda d: format_date(d, language))
