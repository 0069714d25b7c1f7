"""Who am I."""

from __future__ import annotations

from fastapi import APIRouter

from qa_engine.store.models import Institution
from qa_engine.web.api.schemas import ERRORS, MeOut
from qa_engine.web.auth import SignedIn
from qa_engine.web.db import DB

router = APIRouter(prefix="/api/v1", tags=["me"], responses=ERRORS)


@router.get("/me", response_model=MeOut, summary="The signed-in user or the token's owner")
def me(db: DB, principal: SignedIn) -> MeOut:
    user, actor = principal.user, principal.actor
    inst = db.get(Institution, user.institution_id) if user.institution_id else None
    return MeOut(id=user.id, username=user.username, full_name=user.full_name, email=user.email,
                 roles=sorted(r.value for r in actor.roles), institution=inst.code if inst else None,
                 auth="token" if principal.via == "token" else "session", scope=principal.scope,
                 must_change_password=user.must_change_password)
