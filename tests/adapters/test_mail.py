"""Mail: templates render, messages survive non-ASCII, the outbox is idempotent per key, and a real
SMTP server on loopback receives what `SMTPMailer` sends."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from qa_engine.adapters.mail import (
    MailError,
    OutboxMailer,
    SMTPMailer,
    build_message,
    mailer_from_settings,
    message_id,
    render,
    templates_dir,
)
from qa_engine.config import Settings, packaged
from qa_engine.domain.errors import QAError, ValidationFailed

TEMPLATES = packaged("qa_engine.reports", "mail")
SIGNATURE = "4EU+ Micro-credential Quality Assurance"
SENDER = "qa-engine@4euplus.eu"

BASE = {
    "base_url": "https://qa.example.eu",
    "recipient_name": "Jiří Dvořák",
    "case_id": 4217,
    "credential_title": "Søren's Ærø and Łódź: žluťoučký kůň, müde Grüße, café, żółw",
}

CONTEXTS: dict[str, dict] = {
    "invitation": {
        "provider_name": "Univerzita Karlova",
        "rubric_title": "4EU+ Micro-credential Standard 2025",
        "respond_by": "3 May 2025",
        "due_at": "1 June 2025",
        "reason": "your expertise in sustainable agriculture",
    },
    "reminder": {"due_at": "1 June 2025", "days_left": -3, "reminder_no": 2},
    "replaced": {"why": "the review was overdue"},
    "assignment_needed": {
        "provider_name": "Københavns Universitet",
        "needed": 2,
        "why": "two reviewers declined",
        "replacement": False,
    },
    "returned": {"problems": ["ECTS credits are missing", "Learning outcome 3 is too vague"]},
    "decision": {
        "outcome": "approved_with_conditions",
        "outcome_label": "Approved with conditions",
        "rationale": "Strong design; the assessment needs a clearer rubric.",
        "conditions": ["Publish the assessment rubric", "Name a contact person"],
        "valid_until": "31 December 2030",
    },
    "revision_requested": {
        "round": 2,
        "rationale": "The workload does not match the credits.",
        "conditions": ["Align workload with 3 ECTS"],
    },
    "decision_needed": {"recommended_outcome": "Approved with conditions", "overall": "3.4 of 4"},
    "re_review_opened": {"previous_case_id": 1999, "expired_on": "30 April 2025"},
}

SUBJECT_WORDS = {
    "invitation": "Invitation",
    "reminder": "Overdue",
    "replaced": "released",
    "assignment_needed": "2 reviewers needed",
    "returned": "returned",
    "decision": "Approved with conditions",
    "revision_requested": "round 2",
    "decision_needed": "Decision needed",
    "re_review_opened": "Re-review",
}

# values a template uses in its logic rather than printing verbatim, with the text that proves it
SHOWN_AS = {
    ("reminder", "days_left"): "3 days overdue",
    ("decision", "outcome"): "Please meet the conditions",
    ("assignment_needed", "replacement"): "needs\n2 more reviewers",
}


def _ctx(template: str, **overrides) -> dict:
    return {**BASE, **CONTEXTS[template], **overrides}


def _values(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def test_every_template_file_is_covered():
    on_disk = {p.name.removesuffix(".txt.j2") for p in TEMPLATES.glob("*.txt.j2")}
    assert on_disk == set(CONTEXTS)


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_template_renders_every_value(template):
    ctx = _ctx(template)
    subject, body = render(template, ctx, templates_dir=TEMPLATES)

    assert "\n" not in subject and subject == subject.strip()
    assert SUBJECT_WORDS[template] in subject
    assert f"#{ctx['case_id']}" in subject
    assert BASE["credential_title"] in subject
    assert not body.startswith("\n")
    assert body.startswith(f"Dear {BASE['recipient_name']},")
    assert body.rstrip().endswith(SIGNATURE)
    assert f"{BASE['base_url']}/cases/{ctx['case_id']}" in body
    assert "\n\n\n" not in body
    for key, value in ctx.items():
        expected = [SHOWN_AS[(template, key)]] if (template, key) in SHOWN_AS else _values(value)
        for text in expected:
            assert text in body, f"{template}: {key}={text!r} not in the body"


@pytest.mark.parametrize(
    ("days_left", "text", "subject"),
    [
        (-1, "1 day overdue", "Overdue review"),
        (0, "due today", "Review due today"),
        (1, "in 1 day.", "due in 1 day:"),
        (5, "in 5 days.", "due in 5 days:"),
    ],
)
def test_reminder_wording_follows_days_left(days_left, text, subject):
    s, body = render("reminder", _ctx("reminder", days_left=days_left), templates_dir=TEMPLATES)
    assert text in body
    assert subject in s


def test_decision_without_conditions_or_validity_leaves_those_sections_out():
    _, body = render(
        "decision",
        _ctx(
            "decision", outcome="rejected", outcome_label="Rejected", conditions=[], valid_until=""
        ),
        templates_dir=TEMPLATES,
    )
    assert "Conditions:" not in body
    assert "valid until" not in body
    assert "new case" in body
    assert "\n\n\n" not in body


def test_missing_key_raises_validation_failed_naming_it():
    ctx = _ctx("invitation")
    del ctx["respond_by"], ctx["reason"]
    with pytest.raises(ValidationFailed) as info:
        render("invitation", ctx, templates_dir=TEMPLATES)
    assert "respond_by" in str(info.value) and "reason" in str(info.value)
    assert "invitation" in str(info.value)


def test_missing_template_raises_validation_failed():
    with pytest.raises(ValidationFailed, match="'no_such_mail' not found"):
        render("no_such_mail", BASE, templates_dir=TEMPLATES)
    with pytest.raises(ValidationFailed):
        render("../README", BASE, templates_dir=TEMPLATES)


def test_template_without_subject_line_is_refused(tmp_path):
    (tmp_path / "bad.txt.j2").write_text("Hello {{ recipient_name }}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="Subject"):
        render("bad", BASE, templates_dir=tmp_path)


def test_line_break_in_a_value_cannot_inject_a_header():
    subject, _ = render(
        "replaced", _ctx("replaced", credential_title="Evil\r\nBcc: x@y.z"), templates_dir=TEMPLATES
    )
    assert "\n" not in subject and "\r" not in subject
    msg = build_message(key="k", recipient="a@b.eu", subject=subject, body="x", sender=SENDER)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None


def test_message_headers_and_deterministic_message_id():
    a = build_message(
        key="invitation:case:1:user:2", recipient="r@uni.eu", subject="S", body="B\n", sender=SENDER
    )
    b = build_message(
        key="invitation:case:1:user:2", recipient="r@uni.eu", subject="S", body="B\n", sender=SENDER
    )
    c = build_message(
        key="invitation:case:1:user:3", recipient="r@uni.eu", subject="S", body="B\n", sender=SENDER
    )
    assert a["Message-ID"] == b["Message-ID"] == message_id("invitation:case:1:user:2")
    assert a["Message-ID"] != c["Message-ID"]
    assert (
        a["Message-ID"].endswith("@qa-engine.4euplus.eu>")
        and len(a["Message-ID"]) == 2 + 32 + 1 + 20
    )
    assert a["From"] == SENDER and a["To"] == "r@uni.eu" and a["Subject"] == "S"
    assert a["Date"] is not None
    assert build_message(
        key="k", recipient="r@uni.eu", subject="S", body="B", sender=SENDER, domain="example.org"
    )["Message-ID"].endswith("@example.org>")


def test_header_with_line_break_is_a_validation_error():
    with pytest.raises(ValidationFailed):
        build_message(
            key="k", recipient="a@b.eu\nBcc: c@d.eu", subject="S", body="B", sender=SENDER
        )


def test_non_ascii_survives_the_outbox(tmp_path):
    subject, body = render("decision", _ctx("decision"), templates_dir=TEMPLATES)
    msg = build_message(
        key="decision:case:4217",
        recipient="jiri.dvorak@cuni.cz",
        subject=subject,
        body=body,
        sender=SENDER,
    )
    path = OutboxMailer(tmp_path / "outbox").send(msg, "decision:case:4217")

    raw = path.read_bytes()
    raw.decode("ascii")  # 7-bit clean on disk and on the wire
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert parsed.get_content() == body
    assert "č" in parsed["Subject"] or "Ł" in parsed["Subject"]
    for ch in "čřøæłżéü":
        assert ch in body.lower()
    assert parsed["Message-ID"] == message_id("decision:case:4217")
    assert parsed.get_content_charset() == "utf-8"


def test_outbox_writes_one_file_per_key(tmp_path):
    box = OutboxMailer(tmp_path / "outbox")
    key = "reminder:case:7/user:3#1"
    first = box.send(
        build_message(key=key, recipient="a@b.eu", subject="one", body="1", sender=SENDER), key
    )
    second = box.send(
        build_message(key=key, recipient="a@b.eu", subject="two", body="2", sender=SENDER), key
    )
    other = box.send(
        build_message(
            key="reminder:case:7:user:3#1", recipient="a@b.eu", subject="x", body="x", sender=SENDER
        ),
        "reminder:case:7:user:3#1",
    )

    assert first == second and first != other
    assert first.parent == tmp_path / "outbox" and first.suffix == ".eml"
    assert "/" not in first.name and ":" not in first.name
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == sorted(
        [first.name, other.name]
    )
    parsed = email.message_from_bytes(first.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "two"  # the retry replaced the file, never added a second one


def test_outbox_that_cannot_be_written_raises_mail_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    msg = build_message(key="k", recipient="a@b.eu", subject="S", body="B", sender=SENDER)
    with pytest.raises(MailError, match="outbox"):
        OutboxMailer(blocker / "outbox").send(msg, "k")


# --------------------------------------------------------------------------------------------
# a real SMTP server on loopback


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.messages.append(
                (
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content or envelope.content,
                )
            )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), ready_timeout=2)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"qa" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def smtp_auth_server():
    handler = Collector()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        ready_timeout=2,
        server_kwargs={"authenticator": _auth, "auth_require_tls": False},
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_smtp_delivers_two_messages(smtp_server):
    controller, handler = smtp_server
    mailer = SMTPMailer("127.0.0.1", controller.port, timeout=2)
    sent = {}
    for key, rcpt, template in [
        ("invitation:case:4217:user:9", "jiri.dvorak@cuni.cz", "invitation"),
        ("decision:case:4217", "ana.lopez@uw.edu.pl", "decision"),
    ]:
        subject, body = render(template, _ctx(template), templates_dir=TEMPLATES)
        mailer.send(
            build_message(key=key, recipient=rcpt, subject=subject, body=body, sender=SENDER), key
        )
        sent[message_id(key)] = (rcpt, subject, body)

    assert len(handler.messages) == 2
    for mail_from, rcpts, raw in handler.messages:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        rcpt, subject, body = sent[parsed["Message-ID"]]
        assert mail_from == SENDER
        assert rcpts == [rcpt]
        assert parsed["To"] == rcpt
        assert parsed["Subject"] == subject
        assert parsed.get_content().replace("\r\n", "\n") == body  # SMTP carries CRLF line ends
    assert {
        email.message_from_bytes(m[2], policy=email.policy.default)["Message-ID"]
        for m in handler.messages
    } == set(sent)


def test_smtp_login(smtp_auth_server):
    controller, handler = smtp_auth_server
    msg = build_message(key="k1", recipient="a@b.eu", subject="Zdravím", body="ahoj", sender=SENDER)
    SMTPMailer("127.0.0.1", controller.port, user="qa", password="s3cret", timeout=2).send(
        msg, "k1"
    )
    assert len(handler.messages) == 1

    with pytest.raises(MailError, match="refused the login") as info:
        SMTPMailer("127.0.0.1", controller.port, user="qa", password="wrong", timeout=2).send(
            msg, "k2"
        )
    assert "wrong" not in str(info.value)
    with pytest.raises(MailError, match="non-ASCII") as info:
        SMTPMailer("127.0.0.1", controller.port, user="qa", password="sécret", timeout=2).send(
            msg, "k3"
        )
    assert "sécret" not in str(info.value)
    assert len(handler.messages) == 1


def test_smtp_starttls_not_offered_is_a_mail_error(smtp_server):
    controller, _ = smtp_server
    msg = build_message(key="k", recipient="a@b.eu", subject="S", body="B", sender=SENDER)
    with pytest.raises(MailError, match="STARTTLS"):
        SMTPMailer("127.0.0.1", controller.port, starttls=True, timeout=2).send(msg, "k")


def test_connection_refused_names_host_and_port():
    port = _free_port()  # bound and released: nothing listens there now
    msg = build_message(key="k", recipient="a@b.eu", subject="S", body="B", sender=SENDER)
    with pytest.raises(MailError) as info:
        SMTPMailer("127.0.0.1", port, timeout=2).send(msg, "k")
    err = info.value
    assert isinstance(err, QAError) and err.status == 503
    assert f"127.0.0.1:{port}" in str(err)
    assert "refused" in str(err)
    assert err.__cause__ is None and err.__suppress_context__


def test_mailer_from_settings(tmp_path):
    outbox = mailer_from_settings(Settings(data_dir=tmp_path))
    assert isinstance(outbox, OutboxMailer) and outbox.outbox_dir == tmp_path.resolve() / "outbox"

    smtp = mailer_from_settings(
        Settings(
            data_dir=tmp_path,
            smtp_host="mail.example.eu",
            smtp_port=587,
            smtp_user="u",
            smtp_password="p",
            smtp_starttls=True,
        )
    )
    assert isinstance(smtp, SMTPMailer)
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.starttls) == (
        "mail.example.eu",
        587,
        "u",
        "p",
        True,
    )

    assert templates_dir(Settings(reports_dir=tmp_path)) == tmp_path / "mail"
    assert templates_dir(Settings()) == Path(TEMPLATES)


def test_a_batch_delivers_every_message_of_its_cases_a_page_at_a_time(engine_env):
    """A batch of cases sends all of its messages, however many (the limit is a page size); a
    delivery of all cases (the sweep) sends at most the limit."""
    from qa_engine.services import cases as case_service
    from qa_engine.services.notifications import queue
    from qa_engine.store import case_repo
    from qa_engine.store.db import session_scope
    from qa_engine.workflows.delivery import deliver_pending
    from tests.helpers import credential, people

    with session_scope() as s:
        p = people(s)
        case_ids = [
            case_service.open_case(
                session=s, actor=p["officer"], credential_id=credential(s, i, reference=f"DLV-{i}")
            ).id
            for i in range(3)
        ]
        for cid in case_ids:
            for k in range(3):
                queue(
                    session=s,
                    key=f"test:{cid}:{k}",
                    recipient="someone@example.eu",
                    template="assignment_needed",
                    context=_ctx("assignment_needed"),
                    case_id=cid,
                )
    assert deliver_pending(case_ids=case_ids[:2], limit=2).sent == 6
    with session_scope() as s:
        pending = {
            n.key
            for n in case_repo.pending_notifications(s, limit=100)
            if n.key.startswith("test:")
        }
    assert pending == {f"test:{case_ids[2]}:{k}" for k in range(3)}
    assert deliver_pending(limit=2).sent == 2


def test_a_replacement_is_asked_for_as_a_replacement():
    subject, body = render(
        "assignment_needed",
        _ctx(
            "assignment_needed",
            needed=1,
            replacement=True,
            why="A replacement for Rita Reviewer, who declined the invitation: “no time”.",
        ),
        templates_dir=TEMPLATES,
    )
    assert subject.startswith("Replacement reviewer needed for ")
    assert "needs\na replacement reviewer." in body and "who declined the invitation" in body
