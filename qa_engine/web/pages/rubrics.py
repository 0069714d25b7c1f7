"""Rubric pages: for the QA office, every rubric with its versions and status, a version as
reviewers see it, its coverage of the standards, two versions compared, and publishing an uploaded
rubric file (checked, shown against the version in use, published with a reason); for everyone
who reads cases, the version new cases use, read-only."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from qa_engine.domain.errors import QAError, ValidationFailed
from qa_engine.domain.i18n import N_, NAMES
from qa_engine.domain.rubric_i18n import languages_of, localised
from qa_engine.domain.rubric_loader import MAX_RUBRIC_BYTES, RubricError
from qa_engine.domain.standards import REFERENCES
from qa_engine.services import access, rubric_lifecycle
from qa_engine.web.auth import requires, settings_of
from qa_engine.web.db import DB
from qa_engine.web.errors import shows_upload_form
from qa_engine.web.forms import frames_of
from qa_engine.web.pages.common import PageUser, attempt, redirect
from qa_engine.web.templating import catalog_for, gettext_for, render, request_language
from qa_engine.web.uploads import read_limited, safe_name

router = APIRouter()

RubricId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
Version = Annotated[str, Query(max_length=40)]
OFFICE = requires(access.OFFICERS, action=N_("manage rubrics"))
CHOOSE_FILE = N_("Choose the rubric file (YAML) to publish.")


@router.get("/rubrics", dependencies=[OFFICE])
def rubric_list(request: Request, db: DB, principal: PageUser) -> Response:
    entries = rubric_lifecycle.overview(session=db, actor=principal.actor)
    _ = gettext_for(request)
    return render(request, "rubrics/list.html", title=_("Rubrics"), entries=entries)


@router.get(
    "/rubrics/{rubric_id}",
    dependencies=[requires(access.RUBRIC_READERS, action=N_("read rubrics"))],
)
def rubric_view(
    rubric_id: RubricId, request: Request, db: DB, principal: PageUser, version: Version = ""
) -> Response:
    shown = rubric_lifecycle.view(
        session=db, actor=principal.actor, rubric_id=rubric_id, version=version or None
    )
    # the rubric in the reader's language (English, or its own, where it lacks that language)
    lang = request_language(request)
    languages = languages_of(shown.rubric)
    rubric = localised(shown.rubric, lang)
    return render(
        request,
        "rubrics/view.html",
        title=f"{rubric.meta.title} {rubric.version}",
        shown=shown,
        rubric=rubric,
        content_hash=shown.rubric.content_hash,
        languages=[NAMES.get(code, code) for code in languages],
        in_language=lang in languages,
        shown_language=NAMES.get(rubric.meta.language, rubric.meta.language),
        # rendered with the page, in its language
        frames_of=frames_of,
        automated=[rc for rc in rubric.criteria if rc.criterion.kind == "elements_check"],
    )


@router.get("/rubrics/{rubric_id}/coverage", dependencies=[OFFICE])
def rubric_coverage(
    rubric_id: RubricId, request: Request, db: DB, principal: PageUser, version: Version = ""
) -> Response:
    rubric, cov = rubric_lifecycle.coverage_of(
        session=db, actor=principal.actor, rubric_id=rubric_id, version=version or None
    )
    groups: dict[str, list[tuple[str, str, list[str]]]] = {}
    for ref, info in REFERENCES.items():
        groups.setdefault(info.framework, []).append((ref, info.title, cov.covered.get(ref, [])))
    return render(
        request,
        "rubrics/coverage.html",
        title=gettext_for(request)(N_("Coverage of %(id)s"))
        % {"id": f"{rubric.id} {rubric.version}"},
        rubric=rubric,
        groups=groups,
        competences=cov.competences,
    )


@router.get("/rubrics/{rubric_id}/diff", dependencies=[OFFICE])
def rubric_diff(
    rubric_id: RubricId,
    request: Request,
    db: DB,
    principal: PageUser,
    old: Version = "",
    new: Version = "",
) -> Response:
    shown = rubric_lifecycle.view(session=db, actor=principal.actor, rubric_id=rubric_id)
    versions = shown.versions
    new = new or shown.rubric.version
    if not old:
        older = [v for v in versions if v != new]
        old = older[0] if older else new
    found = rubric_lifecycle.compare_versions(
        session=db, actor=principal.actor, rubric_id=rubric_id, old=old, new=new
    )
    return render(
        request,
        "rubrics/diff.html",
        title=f"{rubric_id}: {old} → {new}",
        rubric_id=rubric_id,
        versions=versions,
        old=old,
        new=new,
        diff=found,
        tr=catalog_for(request),
    )


# ----------------------------------------------------------------------------- publishing


def _publish_form(
    request: Request, message: str = "", problems: list[str] | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "rubrics/publish.html",
        status_code=status_code,
        title=gettext_for(request)(N_("Publish a rubric version")),
        message=message,
        problems=problems or [],
        preview=None,
    )


@shows_upload_form("/rubric-publish/preview")
def _too_large(request: Request, message: str) -> Response:
    return _publish_form(request, message, status_code=413)


def _refusal(request: Request, error: QAError) -> Response:
    """A refused file on the form: every problem as `line N: message` (the file is the one the
    officer chose, so its name is said once, above)."""
    catalog = catalog_for(request)
    _ = catalog.gettext
    if isinstance(error, RubricError):
        problems = [
            _("line %(line)s: %(problem)s") % {"line": p.line, "problem": p.text(catalog.gettext)}
            if p.line
            else p.text(catalog.gettext)
            for p in error.problems
        ]
        return _publish_form(
            request,
            _("The file was not published: fix these problems and upload it again."),
            problems,
            status_code=422,
        )
    message, details = error.in_language(catalog.gettext, catalog.ngettext)
    return _publish_form(request, message, details, status_code=error.status)


@router.get("/rubric-publish", dependencies=[OFFICE])
def publish_form(request: Request, principal: PageUser) -> Response:
    principal.actor.require(*access.OFFICERS, action="publish a rubric")
    return _publish_form(request)


@router.post("/rubric-publish/preview", dependencies=[OFFICE])
async def publish_preview(request: Request, db: DB, principal: PageUser) -> Response:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _publish_form(request, gettext_for(request)(CHOOSE_FILE), status_code=422)
    name = safe_name(upload, "rubric.yaml")
    try:
        raw = await read_limited(
            upload, min(MAX_RUBRIC_BYTES, settings_of(request).max_upload_bytes)
        )
    except ValidationFailed as exc:
        catalog = catalog_for(request)
        message, _details = exc.in_language(catalog.gettext, catalog.ngettext)
        return _publish_form(request, message, status_code=exc.status)
    result = await run_in_threadpool(
        attempt,
        db,
        rubric_lifecycle.preview_upload,
        session=db,
        actor=principal.actor,
        raw=raw,
        name=name,
    )
    if isinstance(result, QAError):
        return _refusal(request, result)
    return render(
        request,
        "rubrics/publish.html",
        title=gettext_for(request)(N_("Publish a rubric version")),
        message="",
        problems=[],
        preview=result,
        tr=catalog_for(request),
        file_name=name,
        content=base64.b64encode(raw).decode("ascii"),
    )


@router.post("/rubric-publish", dependencies=[OFFICE])
async def publish(request: Request, db: DB, principal: PageUser) -> Response:
    form = await request.form()
    content, name = form.get("content"), form.get("name")
    reason, digest = form.get("reason"), form.get("content_hash")
    _ = gettext_for(request)
    if not isinstance(content, str) or not content or not isinstance(digest, str):
        return _publish_form(request, _(CHOOSE_FILE), status_code=422)
    try:
        raw = base64.b64decode(content.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):
        return _publish_form(
            request, _("The file did not come through; upload it again."), status_code=422
        )
    reason_text = reason.strip() if isinstance(reason, str) else ""
    if not reason_text:
        return _publish_form(
            request,
            _("Say why this version is published (the reason), and upload the file again."),
            status_code=422,
        )
    result = await run_in_threadpool(
        attempt,
        db,
        rubric_lifecycle.publish_upload,
        session=db,
        actor=principal.actor,
        raw=raw,
        name=name[:120] if isinstance(name, str) and name else "rubric.yaml",
        reason=reason_text,
        expected_hash=digest,
    )
    if isinstance(result, QAError):
        return _refusal(request, result)
    release = result.release
    params = {"id": release.rubric_id, "version": release.version}
    if result.retired:
        text = _("Rubric %(id)s %(version)s published: new cases use it; %(retired)s retired.") % {
            **params,
            "retired": ", ".join(result.retired),
        }
    else:
        text = _("Rubric %(id)s %(version)s published: new cases use it.") % params
    return redirect(f"/rubrics/{release.rubric_id}", principal, text)
