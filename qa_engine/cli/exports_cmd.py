"""``qa-engine exports …``: check the seal of an interop export or a public decision record."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from qa_engine.cli.common import _, console, handle_errors
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_

app = typer.Typer(
    help="Sealed exports and public decision records (JAdES, VC-JWT, JWS): verify.",
    no_args_is_help=True,
)


@app.command("verify")
@handle_errors
def verify(
    file: Path = typer.Argument(
        ..., help="A sealed export (JAdES JSON, VC-JWT) or a sealed public decision record"
    ),
) -> None:
    """Check a sealed file's seal: intact, and sealed by a certificate that chains to a trusted
    root (exit 1 unless valid).

    Reads only: it creates no database, data folder or key."""
    from qa_engine.adapters.jose_seal import verify_sealed
    from qa_engine.adapters.report_files import trust_roots
    from qa_engine.config import get_settings
    from qa_engine.domain.limits import MAX_SEALED_FILE_BYTES, check_size

    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(N_("%(path)s: file not found"), path=str(file)) from None
    if not file.is_file():
        raise ValidationFailed(N_("%(path)s: not a file"), path=str(file))
    check_size(size, MAX_SEALED_FILE_BYTES, str(file))
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            N_("%(path)s: cannot be read (%(reason)s)"),
            path=str(file),
            reason=exc.strerror or str(exc),
        ) from None
    settings = get_settings()
    roots = trust_roots(settings, create=False)
    verdict = verify_sealed(data, trust_roots=roots)
    colour = "green" if verdict.ok else "red"
    console.print(f"[bold {colour}]{escape(verdict.headline)}[/]")
    for line in verdict.lines()[1:]:
        console.print(escape(line))
    if settings.trust_roots:
        console.print(
            _("trust roots: QA_TRUST_ROOTS (%(roots)s)") % {"roots": ", ".join(map(str, roots))}
        )
    elif roots:
        console.print(
            _("trust roots: the development CA of the data folder (%(root)s)") % {"root": roots[0]}
        )
    else:
        console.print(
            _(
                "trust roots: none (QA_TRUST_ROOTS is not set and %(folder)s holds no "
                "development CA); a seal can be intact but not trusted"
            )
            % {"folder": settings.pki_dir}
        )
    if not verdict.ok:
        raise typer.Exit(1)
