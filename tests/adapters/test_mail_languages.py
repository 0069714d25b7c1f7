"""Mails in the recipient's language (issue 17): the account's language, else the language of the
account's institution, else English; the subject, the body and the dates in that language, sent
through a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from qa_engine.adapters.mail import mail_date, mail_number, render
from qa_engine.domain.roles import Role
from tests.adapters.test_mail import BASE, CONTEXTS, TEMPLATES, Collector, _ctx, _free_port

LANGS = ("fr", "de", "cs", "pl", "it", "da")
INVITATION = {
    **CONTEXTS["invitation"],
    "respond_by": "2026-12-03",
    "due_at": "2027-01-15",
    "reason": "your expertise matches the credential",
}
# the subject, a line of the body and the due date of an invitation in each language
EXPECTED = {
    "cs": ("Pozvánka k posouzení", "Dobrý den", "15. ledna 2027"),
    "fr": ("Invitation à évaluer", "Bonjour", "15 janvier 2027"),
    "de": ("Einladung zur Begutachtung", "Guten Tag", "15. Januar 2027"),
}


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), ready_timeout=2)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _received(handler) -> dict[str, email.message.EmailMessage]:
    out = {}
    for _from, rcpts, raw in handler.messages:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        out[rcpts[0]] = parsed
    return out


def test_each_recipient_reads_the_invitation_in_their_language(
    engine_env, smtp_server, monkeypatch
):
    from qa_engine.config import reset_settings
    from qa_engine.services import notifications
    from qa_engine.services.users import add_user
    from qa_engine.store.db import session_scope
    from qa_engine.workflows.delivery import deliver_pending

    controller, handler = smtp_server
    monkeypatch.setenv("QA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("QA_SMTP_PORT", str(controller.port))
    reset_settings()
    people = [
        # username, institution, account language
        ("jana.cs", "UW", "cs"),  # the account's choice wins over the institution's (Poland)
        ("marie.fr", "CUNI", "fr"),
        ("hans.de", "UHEI", None),  # no choice: the institution's language (Germany)
        ("olga.en", None, None),  # neither: English
    ]
    with session_scope() as s:
        for username, institution, language in people:
            user = add_user(
                session=s,
                username=username,
                full_name=BASE["recipient_name"],
                email=f"{username}@example.eu",
                roles=[Role.REVIEWER],
                institution_code=institution,
            )
            user.language = language
            s.add(user)
            s.flush()
            notifications.queue(
                session=s,
                key=f"invitation:test:{username}",
                recipient=user,
                template="invitation",
                context={**BASE, **INVITATION},
            )
    assert deliver_pending(limit=100).sent == 4
    mails = _received(handler)
    assert set(mails) == {f"{u}@example.eu" for u, _, _ in people}

    for username, lang in (("jana.cs", "cs"), ("marie.fr", "fr"), ("hans.de", "de")):
        mail = mails[f"{username}@example.eu"]
        subject, greeting, due = EXPECTED[lang]
        body = mail.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
        assert mail["Subject"].startswith(subject), (lang, mail["Subject"])
        assert BASE["credential_title"] in mail["Subject"]
        assert greeting in body and BASE["recipient_name"] in body, (lang, body)
        assert due in body, (lang, body)
        assert "2027-01-15" not in body
        assert "Kind regards" not in body and "Dear" not in body
        assert "your expertise matches the credential" not in body, "the engine's reason"
        assert f"{BASE['base_url']}/cases/{BASE['case_id']}" in body

    english = mails["olga.en@example.eu"]
    subject, body = render("invitation", {**BASE, **INVITATION}, templates_dir=TEMPLATES)
    assert english["Subject"] == subject
    assert english.get_content().replace("\r\n", "\n") == body
    assert body.startswith(f"Dear {BASE['recipient_name']},")
    assert "due on 2027-01-15." in body


def test_a_mail_to_an_address_goes_in_the_provider_institutions_language(session):
    from qa_engine.domain import i18n
    from qa_engine.services import cases as case_service
    from qa_engine.services.notifications import recipient_language
    from qa_engine.store import repositories as repo
    from tests.helpers import credential, people

    p = people(session)
    case = case_service.open_case(
        session=session, actor=p["officer"], credential_id=credential(session, 0)
    )
    country = repo.institution_country(session, case.institution_id)
    expected = i18n.of_country(country) or "en"
    assert expected != "en"
    assert recipient_language(session, "contact@nowhere.example", case_id=case.id) == expected
    assert recipient_language(session, "contact@nowhere.example") == "en"
    # an account with that address: its language first
    officer = repo.get_user_by_username(session, "officer")
    officer.language = "da"
    session.add(officer)
    assert recipient_language(session, officer.email, case_id=case.id) == "da"
    officer.language = None
    assert recipient_language(session, officer, case_id=case.id) == "en", (
        "an account without a language or an institution reads English, whatever the case"
    )


@pytest.mark.parametrize("template", sorted(CONTEXTS))
@pytest.mark.parametrize("lang", LANGS)
def test_every_template_renders_in_every_language(template, lang):
    ctx = _ctx(template)
    en_subject, en_body = render(template, ctx, templates_dir=TEMPLATES)
    subject, body = render(template, ctx, templates_dir=TEMPLATES, language=lang)
    assert subject != en_subject and body != en_body
    assert "\n" not in subject and f"{ctx['case_id']}" in subject
    assert ctx["credential_title"] in subject and ctx["credential_title"] in body
    assert BASE["recipient_name"] in body
    assert f"{BASE['base_url']}/cases/{ctx['case_id']}" in body
    assert "\n\n\n" not in body and not body.startswith("\n")
    assert "Kind regards" not in body


@pytest.mark.parametrize(
    ("lang", "days_left", "words"),
    [
        ("cs", 1, "za 1 den"),
        ("cs", 3, "za 3 dny"),
        ("cs", 5, "za 5 dní"),
        ("pl", 2, "za 2 dni"),
        ("pl", 5, "za 5 dni"),
        ("de", 1, "in 1 Tag"),
        ("de", 4, "in 4 Tagen"),
    ],
)
def test_the_reminder_counts_days_in_the_plural_forms_of_the_language(lang, days_left, words):
    subject, body = render(
        "reminder",
        _ctx("reminder", days_left=days_left, due_at="2026-12-24"),
        templates_dir=TEMPLATES,
        language=lang,
    )
    assert words in subject and words in body, (subject, body)


def test_dates_and_figures_are_written_the_way_the_language_writes_them():
    assert mail_date("2026-12-03", "cs") == "3. prosince 2026"
    assert mail_date("2026-12-03", "fr") == "3 décembre 2026"
    assert mail_date("2026-12-03", "de") == "3. Dezember 2026"
    assert mail_date("2026-12-03", "en") == "2026-12-03"  # English mails keep ISO dates
    assert mail_date("3 May 2025", "cs") == "3 May 2025"  # a text that is no date: as it is
    assert mail_number("3.40", "cs") == "3,40"
    assert mail_number("3.40", "en") == "3.40"
    assert mail_number("-", "de") == "-"
    assert mail_number(2.5, "fr", 1) == "2,5"


def test_the_decision_names_the_outcome_in_the_language():
    ctx = _ctx(
        "decision", outcome="approved_with_conditions", outcome_label="approved with conditions"
    )
    subject, body = render("decision", ctx, templates_dir=TEMPLATES, language="cs")
    assert "schváleno s podmínkami" in subject.lower() and "approved" not in body
    assert "31 December 2030" in body  # a date already written out stays as it was
