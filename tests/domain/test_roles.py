"""Refusals worded for the roles that asked."""

from __future__ import annotations

from qa_engine.domain.roles import Role, refusal

WRITERS = (Role.PROVIDER, Role.QA_OFFICER, Role.ADMIN)


def test_a_refusal_names_the_roles_that_asked_and_those_that_may():
    assert refusal(frozenset({Role.REVIEWER}), WRITERS, "submit credentials").message == (
        "reviewers do not submit credentials; providers and the QA office do"
    )
    assert refusal(
        frozenset({Role.REVIEWER, Role.LEADERSHIP}), WRITERS, "submit credentials"
    ).message == (
        "reviewers and members of the leadership do not submit credentials; "
        "providers and the QA office do"
    )


def test_the_qa_office_stands_for_officers_and_admins_and_admins_alone_are_named():
    office = (Role.QA_OFFICER, Role.ADMIN)
    assert refusal(frozenset({Role.PROVIDER}), office, "assign reviewers").message == (
        "providers do not assign reviewers; the QA office does"
    )
    assert refusal(frozenset({Role.QA_OFFICER}), (Role.ADMIN,), "add users").message == (
        "QA officers do not add users; admins do"
    )
    assert refusal(frozenset(), (Role.APPROVER,), "decide on cases").message == (
        "accounts without a role do not decide on cases; approvers do"
    )
