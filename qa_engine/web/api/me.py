"""Who am I."""

from __future__ import annotations

from fastapi import APIRouter

from qa_engine.services import users
from qa_engine.web.api.schemas import ERRORS, MeOut
from qa_engine.web.auth import SignedIn
from qa_engine.web.db import DB

router = APIRouter(prefix="/api/v1", tags=["me"], responses=ERRORS)


@router.get("/me", response_model=MeOut, summary="The signed-in user or the token's owner")
def me(db: DB, principal: SignedIn) -> MeOut:
    actor = principal.actor
    account = users.own_account(session=db, actor=actor)
    return MeOut(
        id=account.id,
        username=account.username,
        full_name=account.full_name,
        email=account.email,
        roles=sorted(r.value for r in actor.roles),
        institution=account.institution_code,
        auth="token" if principal.via == "token" else "session",
        scope=principal.scope,
        must_change_password=account.must_change,
    )
