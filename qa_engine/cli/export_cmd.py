"""``qa-engine export elm|edc|ob3|deqar …``: the interop exports of decided cases, one case (the
file the reporting stage wrote, generated now when it is missing) or every decision of a period
(one file each plus a manifest)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import typer

from qa_engine.cli.common import _, cli_language, console, handle_errors, ngettext
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.store.db import session_scope

app = typer.Typer(
    help="Interop exports of decided cases: ELM v3 Qualification (elm), a sample European Digital "
    "Credential (edc), an Open Badges 3.0 credential (ob3), the DEQAR record (deqar).",
    no_args_is_help=True,
)


WHAT = {
    "elm": "sealed ELM v3 Qualification (with the decision as its Accreditation)",
    "edc": "sealed sample European Digital Credential",
    "ob3": "Open Badges 3.0 sample credential (VC-JWT)",
    "deqar": "DEQAR report record",
}


def _day(value: str | None, option: str) -> date:
    if not value:
        raise ValidationFailed(
            N_("%(option)s is needed with --all: give a date as YYYY-MM-DD"), option=option
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            N_("%(option)s '%(value)s': give a date as YYYY-MM-DD"), option=option, value=value
        ) from None


def _generator() -> Any:
    from qa_engine.adapters.export_files import ExportFiles
    from qa_engine.adapters.report_files import ReportFiles
    from qa_engine.services.exports import files_generator

    return files_generator(ReportFiles.from_settings(), ExportFiles.from_settings())


def _copy(source: Path, target: Path) -> None:
    from qa_engine.adapters.files import write_atomically

    if target.is_dir():
        raise ValidationFailed(
            N_("--output %(path)s is a folder: name the file to write"), path=str(target)
        )
    write_atomically(target, source.read_bytes(), hint="nothing was written")


def _one(kind: str, case_id: int, round_: int | None, output: Path | None) -> None:
    from qa_engine.domain.statuses import ReportStatus
    from qa_engine.services.exports import KIND_NAMES, ensure_exports

    with session_scope() as s:
        _decision, rows = ensure_exports(
            session=s, case_id=case_id, round_=round_, generator=_generator(), kinds=(kind,)
        )
        row = rows[0]
        if row.status != ReportStatus.GENERATED or not row.path:
            raise ValidationFailed(
                N_("case %(case)s: the %(export)s cannot be made: %(error)s"),
                case=case_id,
                export=KIND_NAMES[kind],
                error=row.error or "",
            )
        source, sha256 = Path(row.path), row.sha256
    if output is not None:
        _copy(source, output)
        console.print(_("wrote %(path)s") % {"path": output} + f" (sha256 {sha256})")
    else:
        console.print(f"{source} (sha256 {sha256})")


def _all(kind: str, start: date, end: date, folder: Path) -> int:
    """Write one file per decision of the period into `folder`, then `manifest.json`; return how
    many could not be made."""
    from qa_engine.adapters.export_files import file_name
    from qa_engine.adapters.files import write_atomically
    from qa_engine.adapters.translations import format_date
    from qa_engine.domain.statuses import ReportStatus
    from qa_engine.services import reporting
    from qa_engine.services.exports import decisions_between, ensure_exports
    from qa_engine.store import case_repo

    if end < start:
        lang = cli_language()
        raise ValidationFailed(
            N_("--to %(end)s is before --from %(start)s"),
            end=format_date(end, lang),
            start=format_date(start, lang),
        )
    if folder.exists() and not folder.is_dir():
        raise ValidationFailed(
            N_("--output %(path)s is a file: name a folder for the exports"), path=str(folder)
        )
    folder.mkdir(parents=True, exist_ok=True)
    since = datetime.combine(start, time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    files: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    failed = 0
    with session_scope() as s:
        for case, decision in decisions_between(session=s, start=since, end=until):
            base = {
                "report_id": reporting.report_id_for(decision, "pdf"),
                "case": case.id,
                "round": decision.round,
                "credential": case.credential_id,
                "outcome": decision.outcome,
                "decided_at": decision.decided_at.isoformat(),
            }
            if kind not in reporting.export_kinds_for(decision.outcome):
                skipped.append({**base, "reason": f"a {decision.outcome} decision has no {kind}"})
                continue
            pdf = case_repo.get_report(s, decision.id or 0, "pdf")
            if pdf is None or pdf.status != ReportStatus.GENERATED:
                skipped.append({**base, "reason": "its signed report is not generated yet"})
                continue
            with s.begin_nested():
                _decision, rows = ensure_exports(
                    session=s,
                    case_id=case.id or 0,
                    round_=decision.round,
                    generator=_generator(),
                    kinds=(kind,),
                )
            row = rows[0]
            if row.status != ReportStatus.GENERATED or not row.path or not row.sha256:
                failed += 1
                skipped.append({**base, "reason": f"cannot be made: {row.error}"})
                continue
            name = file_name(row.report_id, kind)
            write_atomically(folder / name, Path(row.path).read_bytes(), hint="run it again")
            files.append({**base, "kind": kind, "file": name, "sha256": row.sha256})
    manifest = {
        "kind": kind,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "files": files,
        "skipped": skipped,
    }
    write_atomically(
        folder / "manifest.json",
        json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n",
    )
    wrote = ngettext(
        "wrote %(num)s %(kind)s file and manifest.json to %(folder)s",
        "wrote %(num)s %(kind)s files and manifest.json to %(folder)s",
        len(files),
    ) % {"num": len(files), "kind": kind, "folder": folder}
    if skipped:
        wrote += "; " + ngettext(
            "%(num)s decision skipped (see the manifest)",
            "%(num)s decisions skipped (see the manifest)",
            len(skipped),
        ) % {"num": len(skipped)}
    console.print(wrote)
    return failed


def _command(kind: str) -> None:
    @app.command(
        kind,
        help=f"Write the {WHAT[kind]} of a decided case (generated now when it is missing); with "
        "--all --from --to --output DIR, that of every decision of a period, with a manifest.json.",
    )
    @handle_errors
    def export(
        case_id: int | None = typer.Argument(None, help="The case (omit with --all)"),
        round_: int | None = typer.Option(
            None, "--round", help="Round (default: the latest decided one)"
        ),
        output: Path | None = typer.Option(
            None,
            "--output",
            "-o",
            help="The file to write (one case; default: print where the engine keeps it) or the "
            "folder (--all)",
        ),
        all_: bool = typer.Option(False, "--all", help="Every decision of a period"),
        from_: str | None = typer.Option(None, "--from", help="With --all: first day, YYYY-MM-DD"),
        to: str | None = typer.Option(None, "--to", help="With --all: last day, included"),
    ) -> None:
        if all_:
            if case_id is not None or round_ is not None:
                raise ValidationFailed(
                    N_("--all exports a period: give no CASE or --round with it")
                )
            if output is None:
                raise ValidationFailed(N_("--all needs --output DIR, the folder to write into"))
            failed = _all(kind, _day(from_, "--from"), _day(to, "--to"), output)
            if failed:
                raise typer.Exit(1)
            return
        if case_id is None:
            raise ValidationFailed(N_("name the CASE to export, or give --all --from --to"))
        if from_ or to:
            raise ValidationFailed(N_("--from and --to go with --all"))
        _one(kind, case_id, round_, output)


for _kind in ("elm", "edc", "ob3", "deqar"):
    _command(_kind)
