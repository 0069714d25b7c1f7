"""Provider pages: the credential form (every standard element), spreadsheet upload with errors per
cell, opening a review case."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from qa_engine.adapters import translations as tr
from qa_engine.adapters.credential_io import ImportInvalid, write_template
from qa_engine.adapters.elm_import import parse_assignments
from qa_engine.domain.credential import (
    FIELD_BY_NAME,
    FIELDS,
    CredentialInvalid,
    FieldSpec,
    choice_label,
)
from qa_engine.domain.errors import ConfirmationNeeded, QAError, StaleUpdate, ValidationFailed
from qa_engine.domain.i18n import N_, Nn_
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS
from qa_engine.services import access, credential_import
from qa_engine.services import cases as case_service
from qa_engine.services import credentials as credential_service
from qa_engine.services.rows import saved_id
from qa_engine.web.auth import SignedInPrincipal, requires, settings_of
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.errors import in_reader_language, shows_upload_form
from qa_engine.web.forms import form_int, form_text
from qa_engine.web.pages.common import CredentialId, PageUser, attempt, error_text, redirect
from qa_engine.web.rows import CredentialRecord
from qa_engine.web.templating import (
    catalog_for,
    current_language,
    gettext_for,
    render,
    request_language,
)
from qa_engine.web.uploads import import_credentials_upload, read_limited, safe_name

router = APIRouter()
PAGE = 50
LONG = {
    "learner_identification",
    "assessment_type",
    "quality_assurance",
    "prerequisites",
    "further_information",
    "grading",
    "stackable_towards",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_GROUPS = (
    (N_("The credential"), ("reference", "provider")),
    (
        N_("Standard elements (Council Recommendation, Annex I, mandatory)"),
        (
            "title",
            "learner_identification",
            "country",
            "region",
            "awarding_body",
            "date_of_issuing",
            "learning_outcomes",
            "ects",
            "workload_hours",
            "eqf_level",
            "qf_ehea_cycle",
            "assessment_type",
            "participation_form",
            "quality_assurance",
        ),
    ),
    (
        N_("Optional standard elements"),
        (
            "prerequisites",
            "supervision",
            "grading",
            "stackability",
            "stackable_towards",
            "further_information",
        ),
    ),
    (
        N_("Field, skills and languages"),
        ("isced_f", "languages", "esco_skills", "digcomp", "greencomp"),
    ),
    (N_("Contact"), ("contact_email", "contact_name")),
)
GROUPS = [(title, [FIELD_BY_NAME[n] for n in names]) for title, names in _GROUPS]
if sorted(f.name for _, specs in GROUPS for f in specs) != sorted(f.name for f in FIELDS):
    raise RuntimeError("the credential form's groups must name every credential field once")


def _element(spec: FieldSpec) -> str:
    """The standard element a field is, in the page's language (called while a page renders)."""
    gettext = tr.translations(current_language()).gettext
    if spec.element in EU_ELEMENTS:
        return gettext(N_("%(element)s, mandatory standard element")) % {"element": spec.element}
    if spec.element in EU_OPTIONAL_ELEMENTS:
        return gettext(N_("%(element)s, optional standard element")) % {"element": spec.element}
    return ""


def _shown(data: dict[str, Any], lang: str) -> dict[str, str]:
    """The values of a credential that are written in the reader's language: the date, the figures
    and the closed values in words."""
    gettext = tr.translations(lang).gettext
    out: dict[str, str] = {}
    for spec in FIELDS:
        value = data.get(spec.name)
        if value is None or value == "":
            continue
        try:
            if spec.name == "date_of_issuing":
                out[spec.name] = tr.format_date(date.fromisoformat(str(value)), lang)
            elif spec.name in ("ects", "workload_hours", "eqf_level"):
                out[spec.name] = tr.format_decimal(Decimal(str(value)), lang)
            elif spec.choices:
                out[spec.name] = gettext(choice_label(str(value)))
        except (ValueError, ArithmeticError):  # a value stored otherwise is shown as it is
            continue
    return out


def _form_values(data: dict[str, Any]) -> dict[str, str]:
    out = {}
    for spec in FIELDS:
        value = data.get(spec.name)
        if value is None:
            out[spec.name] = ""
        elif isinstance(value, list):
            out[spec.name] = "\n".join(str(v) for v in value)
        else:
            out[spec.name] = str(value)
    return out


def _form_page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    credential: CredentialRecord | None = None,
    institutions: Sequence[object] | None = None,  # the provider choices, for the template
    status_code: int = 200,
) -> Response:
    if institutions is None:
        institutions = credential_service.provider_choices(session=db, actor=principal.actor)
    _ = gettext_for(request)
    return render(
        request,
        "credentials/form.html",
        status_code=status_code,
        title=(
            _("Edit %(reference)s") % {"reference": credential.reference}
            if credential
            else _("New credential")
        ),
        groups=GROUPS,
        headers={f.name: f.header for f in FIELDS},
        element=_element,
        choice_label=choice_label,
        long_fields=LONG,
        values=values,
        errors=errors or {},
        general=general or [],
        credential=credential,
        institutions=institutions,
    )


@router.get("/credentials")
def list_credentials(request: Request, db: DB, principal: PageUser, offset: int = 0) -> Response:
    offset = max(0, min(offset, 1_000_000))
    page = credential_service.credentials_page(
        session=db, actor=principal.actor, offset=offset, limit=PAGE
    )
    return render(
        request,
        "credentials/list.html",
        title=gettext_for(request)(N_("Credentials")),
        rows=page.rows,
        total=page.total,
        offset=offset,
        page=PAGE,
        may_write=page.may_write,
    )


@router.get("/credentials/new")
def new_form(request: Request, db: DB, principal: PageUser) -> Response:
    form = credential_service.submission_form(session=db, actor=principal.actor)
    values = {spec.name: "" for spec in FIELDS}
    if form.own:
        values["provider"] = form.own.code
        values["country"] = form.own.country
    return _form_page(request, db, principal, values=values, institutions=form.institutions)


def _raw_from_form(form: FormData) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for spec in FIELDS:
        value = form.get(spec.name)
        if isinstance(value, str) and value.strip():
            raw[spec.name] = value
    return raw


async def _save(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    credential_id: int | None = None,
) -> Response:
    form = await request.form()
    raw = _raw_from_form(form)
    expected = form_int(form.get("expected_version"))
    saved = await run_in_threadpool(
        attempt,
        db,
        credential_service.submit_credential,
        session=db,
        actor=principal.actor,
        raw=raw,
        credential_id=credential_id,
        expected_version=expected,
        source="web form",
    )
    if isinstance(saved, QAError):
        error = saved
        if error.status in (403, 404):
            raise error
        field_errors: dict[str, str] = {}
        general: list[str] = []
        catalog = catalog_for(request)
        if isinstance(error, CredentialInvalid):
            for p in error.problems:
                said = p.in_language(catalog.gettext, catalog.ngettext)
                field_errors[p.field] = (
                    field_errors[p.field] + "; " if p.field in field_errors else ""
                ) + said
        else:
            message, details = in_reader_language(request, error)
            general = [message, *details]
        if isinstance(error, StaleUpdate):
            general.append(
                catalog.gettext(
                    N_(
                        "Your changes are still in the form below. Save again to store them over "
                        "the newer version, or open the credential in another tab to compare "
                        "first."
                    )
                )
            )
        values = {spec.name: form_text(form.get(spec.name)) for spec in FIELDS}
        credential = None
        if credential_id is not None:
            credential = (
                await run_in_threadpool(
                    credential_service.credential_detail,
                    session=db,
                    actor=principal.actor,
                    credential_id=credential_id,
                )
            ).credential
        return await run_in_threadpool(
            _form_page,
            request,
            db,
            principal,
            values=values,
            errors=field_errors,
            general=general,
            credential=credential,
            status_code=error.status,
        )
    _ = gettext_for(request)
    words = {
        "created": _("Credential saved."),
        "new_version": _("Saved as version %(number)s.") % {"number": saved.version},
        "unchanged": _("Nothing changed: the stored version is the same."),
    }
    return redirect(f"/credentials/{saved.credential_id}", principal, words[saved.outcome])


@router.post(
    "/credentials/new",
    dependencies=[requires(access.CREDENTIAL_WRITERS, action=N_("submit credentials"))],
)
async def create(request: Request, db: DB, principal: PageUser) -> Response:
    return await _save(request, db, principal)


@router.get("/credentials/template.xlsx")
def template(db: DB, principal: PageUser) -> Response:
    form = credential_service.submission_form(
        session=db, actor=principal.actor, action="import credentials"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = write_template(
            Path(tmp) / "credentials.xlsx", providers=[i.code for i in form.institutions]
        ).read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="credentials-template.xlsx"'},
    )


@shows_upload_form("/credentials/upload")
def _too_large(request: Request, message: str) -> Response:
    # the body was refused unread: the case it was for is in the address the form posted to
    return _upload_page(
        request, message, case_id=form_int(request.query_params.get("case")) or None
    )


def _upload_page(
    request: Request,
    message: str = "",
    problems: Sequence[Sequence[str]] = (),
    status_code: int = 413,
    *,
    case_id: int | None = None,
    confirm_needed: bool = False,
    lacking: str = "",
) -> Response:
    return render(
        request,
        "credentials/upload.html",
        status_code=status_code,
        title=gettext_for(request)(N_("Upload credentials")),
        message=message,
        problems=list(problems),
        case_id=case_id,
        confirm_needed=confirm_needed,
        lacking=lacking,
    )


@router.get("/credentials/upload")
def upload_form(
    request: Request,
    db: DB,
    principal: PageUser,
    case: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> Response:
    credential_service.submission_form(
        session=db, actor=principal.actor, action="import credentials"
    )
    return _upload_page(request, status_code=200, case_id=case)


@router.post(
    "/credentials/upload",
    dependencies=[requires(access.CREDENTIAL_WRITERS, action=N_("import credentials"))],
)
async def upload(
    request: Request, db: DB, principal: PageUser, background: BackgroundTasks
) -> Response:
    known = await run_in_threadpool(
        credential_import.known_providers, session=db, actor=principal.actor
    )
    settings = settings_of(request)
    form = await request.form()
    upload = form.get("file")
    case_id = form_int(form.get("case"))
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _upload_page(
            request,
            gettext_for(request)(N_("Choose a file to upload.")),
            status_code=422,
            case_id=case_id,
        )
    name = safe_name(upload, "credentials.xlsx")
    lacking = form.get("set")
    lacking = lacking if isinstance(lacking, str) else ""
    try:
        supplied = parse_assignments(lacking.splitlines())
        data = await read_limited(upload, settings.max_upload_bytes)
    except ValidationFailed as exc:
        return _upload_page(
            request,
            error_text(request, exc),
            status_code=exc.status,
            case_id=case_id,
            lacking=lacking,
        )
    result = await run_in_threadpool(
        attempt,
        db,
        import_credentials_upload,
        db,
        principal.actor,
        data,
        name,
        known_providers=known,
        open_cases=form.get("open_cases") == "yes",
        settings=settings,
        confirm=form.get("confirm") == "yes",
        case_id=case_id,
        supplied=supplied,
    )
    if isinstance(result, QAError):
        error = result
        catalog = catalog_for(request)
        problems = (
            [[p.where, p.in_language(catalog.gettext, catalog.ngettext)] for p in error.problems]
            if isinstance(error, ImportInvalid)
            else []
        )
        message, details = in_reader_language(request, error)
        return _upload_page(
            request,
            message,
            problems if problems else [[d, ""] for d in details],
            status_code=error.status,
            case_id=case_id,
            confirm_needed=isinstance(error, ConfirmationNeeded),
            lacking=lacking,
        )
    advance_later(background, result.opened_cases)
    catalog = catalog_for(request)
    counts = [
        Nn_("%(num)s created", "%(num)s created", len(result.created)),
        Nn_("%(num)s new version(s)", "%(num)s new version(s)", len(result.new_versions)),
        Nn_("%(num)s unchanged", "%(num)s unchanged", len(result.unchanged)),
    ]
    said = ", ".join(m.render(catalog.gettext, catalog.ngettext) for m in counts)
    if result.opened_cases:
        opened = Nn_("%(num)s case(s) opened", "%(num)s case(s) opened", len(result.opened_cases))
        said += "; " + opened.render(catalog.gettext, catalog.ngettext)
    text = f"{name}: {said}."
    if result.revised_case is not None:
        return redirect(
            f"/cases/{result.revised_case}",
            principal,
            text
            + " "
            + catalog.gettext(N_("The case's new round reviews the revised credential.")),
        )
    return redirect("/credentials", principal, text)


@router.get("/credentials/{credential_id}")
def view(credential_id: CredentialId, request: Request, db: DB, principal: PageUser) -> Response:
    detail = credential_service.credential_detail(
        session=db, actor=principal.actor, credential_id=credential_id
    )
    return render(
        request,
        "credentials/view.html",
        title=detail.credential.title,
        credential=detail.credential,
        institution=detail.institution,
        versions=detail.versions,
        data=detail.data,
        fields=FIELDS,
        element=_element,
        shown=_shown(detail.data, request_language(request)),
        open_case=detail.open_case,
        may_write=detail.may_write,
    )


@router.get("/credentials/{credential_id}/edit")
def edit_form(
    credential_id: CredentialId, request: Request, db: DB, principal: PageUser
) -> Response:
    detail = credential_service.credential_detail(
        session=db, actor=principal.actor, credential_id=credential_id
    )
    return _form_page(
        request, db, principal, values=_form_values(detail.data), credential=detail.credential
    )


@router.post(
    "/credentials/{credential_id}/edit",
    dependencies=[requires(access.CREDENTIAL_WRITERS, action=N_("change credentials"))],
)
async def edit(
    credential_id: CredentialId, request: Request, db: DB, principal: PageUser
) -> Response:
    return await _save(request, db, principal, credential_id=credential_id)


@router.post(
    "/credentials/{credential_id}/open-case",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("open review cases"))],
)
def open_case(
    credential_id: CredentialId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
) -> Response:
    case = case_service.open_case(session=db, actor=principal.actor, credential_id=credential_id)
    case_id = saved_id(case)
    advance_later(background, [case_id])
    return redirect(
        f"/cases/{case_id}",
        principal,
        gettext_for(request)(
            N_("Case %(id)s opened. Screening runs now; reload in a moment to see the next step.")
        )
        % {"id": case_id},
    )
