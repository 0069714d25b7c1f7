"""Credentials: list, read, create or update one from JSON, import a spreadsheet or JSON file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from qa_engine.domain.i18n import N_
from qa_engine.services import access, credential_import
from qa_engine.services import credentials as credential_service
from qa_engine.web.api.common import CredentialId, Limit, Offset, etag, if_match_version
from qa_engine.web.api.schemas import (
    ERRORS,
    CredentialDetailOut,
    CredentialIn,
    CredentialOut,
    CredentialPage,
    CredentialSavedOut,
    CredentialUpdateIn,
    CredentialVersionOut,
    ImportOut,
)
from qa_engine.web.auth import CurrentActor, requires, settings_of
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.uploads import import_credentials_upload, read_limited, safe_name

READS_CREDENTIALS = requires(access.CREDENTIAL_READERS, action=N_("read credentials"))
router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"], responses=ERRORS)


def _out(
    row: credential_service.CredentialRow | credential_service.CredentialDetail,
) -> CredentialOut:
    cred = row.credential
    return CredentialOut(
        id=cred.id,
        reference=cred.reference,
        provider=row.institution.code,
        title=cred.title,
        current_version=cred.current_version,
        updated_at=cred.updated_at,
        open_case_id=row.open_case.id if row.open_case else None,
    )


@router.get(
    "",
    response_model=CredentialPage,
    summary="The credentials you may see, a page at a time",
    dependencies=[READS_CREDENTIALS],
)
def list_credentials(
    db: DB, actor: CurrentActor, offset: Offset = 0, limit: Limit = 50
) -> CredentialPage:
    page = credential_service.credentials_page(session=db, actor=actor, offset=offset, limit=limit)
    return CredentialPage(
        items=[_out(r) for r in page.rows], total=page.total, offset=offset, limit=limit
    )


@router.get(
    "/{credential_id:int}",
    response_model=CredentialDetailOut,
    summary="One credential with its versions",
    dependencies=[READS_CREDENTIALS],
)
def get_credential(
    credential_id: CredentialId, db: DB, actor: CurrentActor, response: Response
) -> CredentialDetailOut:
    detail = credential_service.credential_detail(
        session=db, actor=actor, credential_id=credential_id
    )
    response.headers["ETag"] = etag(detail.credential.current_version)
    return CredentialDetailOut(
        **_out(detail).model_dump(),
        data=detail.data,
        versions=[CredentialVersionOut.model_validate(v) for v in detail.versions],
    )


def _saved(saved: credential_service.SavedCredential, response: Response) -> CredentialSavedOut:
    if saved.outcome == "created":
        response.status_code = 201
    return CredentialSavedOut(
        credential_id=saved.credential_id, version=saved.version, outcome=saved.outcome
    )


@router.post(
    "",
    response_model=CredentialSavedOut,
    status_code=200,
    responses={201: {"model": CredentialSavedOut, "description": "Created"}},
    summary="Create a credential, or store a new version of it (same provider and reference)",
    dependencies=[requires(access.CREDENTIAL_WRITERS, action=N_("submit credentials"))],
)
def create_credential(
    body: CredentialIn, db: DB, actor: CurrentActor, response: Response
) -> CredentialSavedOut:
    saved = credential_service.submit_credential(
        session=db, actor=actor, raw=body.model_dump(exclude_none=True), source="api"
    )
    return _saved(saved, response)


@router.put(
    "/{credential_id:int}",
    response_model=CredentialSavedOut,
    summary=(
        "Store a new version of this credential (expected_version or If-Match required: a stale "
        "one is a 409)"
    ),
    dependencies=[requires(access.CREDENTIAL_WRITERS, action=N_("change credentials"))],
)
def update_credential(
    credential_id: CredentialId,
    body: CredentialUpdateIn,
    request: Request,
    db: DB,
    actor: CurrentActor,
    response: Response,
) -> CredentialSavedOut:
    raw = body.model_dump(exclude_none=True)
    expected = raw.pop("expected_version", None) or if_match_version(request)
    saved = credential_service.submit_credential(
        session=db,
        actor=actor,
        raw=raw,
        credential_id=credential_id,
        expected_version=expected,
        source="api",
    )
    response.headers["ETag"] = etag(saved.version)
    return CredentialSavedOut(
        credential_id=saved.credential_id, version=saved.version, outcome=saved.outcome
    )


@router.post(
    "/import",
    response_model=ImportOut,
    summary=(
        "Import a spreadsheet (.xlsx) or JSON file of credentials: all or nothing, errors per cell"
    ),
    dependencies=[requires(access.CREDENTIAL_WRITERS, action=N_("import credentials"))],
)
async def import_credentials(
    db: DB,
    actor: CurrentActor,
    request: Request,
    background: BackgroundTasks,
    file: Annotated[
        UploadFile,
        File(description=".xlsx, .json or ELM .jsonld", json_schema_extra={"format": "binary"}),
    ],
    open_cases: Annotated[bool, Form()] = False,
    case: Annotated[
        int | None,
        Form(
            ge=1,
            le=2_000_000_000,
            description="submit the file's credential into this case as its revised credential",
        ),
    ] = None,
    confirm: Annotated[
        bool,
        Form(
            description=(
                "store new versions of credentials that an open case is reviewing"
                " (without it: 409 confirmation_needed)"
            )
        ),
    ] = False,
) -> ImportOut:
    settings = settings_of(request)
    known = await run_in_threadpool(credential_import.known_providers, session=db, actor=actor)
    data = await read_limited(file, settings.max_upload_bytes)
    result = await run_in_threadpool(
        import_credentials_upload,
        db,
        actor,
        data,
        safe_name(file, "credentials.xlsx"),
        known_providers=known,
        open_cases=open_cases,
        settings=settings,
        confirm=confirm,
        case_id=case,
    )
    advance_later(background, result.opened_cases)
    return ImportOut(
        created=result.created,
        new_versions=result.new_versions,
        unchanged=result.unchanged,
        opened_cases=result.opened_cases,
        revised_case=result.revised_case,
    )
