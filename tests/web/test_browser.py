"""A whole review cycle clicked through the real pages in headless Chromium: a provider submits a
credential and self-assesses, an officer assigns, two reviewers score, an approver decides, the
signed report is downloaded and verified on /verify. Screenshots of the main pages go to
test-output/screenshots/."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import cases as case_service
from qa_engine.services.rubrics import load
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import SAMPLES, to_state
from tests.web.support import PASSWORD, set_password

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing (apt-get install chromium chromium-driver)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(web_env, p) -> Iterator[str]:
    import uvicorn

    from qa_engine.web.app import create_app

    for name in (
        "prov.cuni",
        "officer",
        "approver",
        "leader",
        *[k for k in p if k.startswith("rev.")],
    ):
        set_password(name)
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Person:
    """One signed-in browser context."""

    def __init__(self, browser, base: str, username: str) -> None:
        self.base = base
        # a browser set to English (else a person of a Czech institution reads Czech pages)
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-US"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.goto(f"{base}/sign-in")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"{base}/")

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str, full_page: bool = True) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)

    def wait_for(self, path: str, text: str, seconds: float = 30) -> None:
        """Reload until the automated stages (run after the response) show `text`."""
        end = time.monotonic() + seconds
        while True:
            self.go(path)
            if text in self.page.content():
                return
            if time.monotonic() > end:
                raise AssertionError(f"{path} never showed {text!r}")
            time.sleep(0.3)


def _by_id(page, element_id: str):
    return page.locator(f'[id="{element_id}"]')


def test_a_review_cycle_in_the_browser(server, browser, p):
    base = server
    sample = parse_credential(SAMPLES[0]).canonical()
    rubric = load("4eu-mici")

    # --- the provider submits a credential through the form and opens a case
    prov = Person(browser, base, "prov.cuni")
    assert "What waits for you" in prov.page.content()
    page = prov.go("/credentials/new")
    for name, value in sample.items():
        if value is None or name in ("provider",):
            continue
        field = _by_id(page, f"f-{name}")
        text = "\n".join(value) if isinstance(value, list) else str(value)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(text)
        else:
            field.fill(text)
    prov.shot("01-credential-form")
    page.get_by_role("button", name="Save the credential").click()
    page.wait_for_load_state()
    assert "Credential saved." in page.content(), page.inner_text("main")[:1500]
    page.get_by_role("button", name="Submit for review (open a case)").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_path = page.url.removeprefix(base)
    case_id = int(case_path.rsplit("/", 1)[1])
    prov.wait_for(case_path, "Write the self-assessment")

    # --- the self-assessment, criterion by criterion
    page = prov.go(f"/cases/{case_id}/self-assessment")
    prov.shot("02-self-assessment", full_page=False)
    # progressive enhancement: a draft is saved through the API shortly after a change
    page.evaluate("document.querySelector('form[data-autosave]').setAttribute('data-delay', '200')")
    _by_id(page, "t-mici-recognition").fill("Recognised by three partners.")
    page.locator("#autosave-status", has_text="saved automatically").wait_for()
    page.evaluate(
        "document.querySelector('form[data-autosave]').setAttribute('data-delay', '600000')"
    )
    for rc in rubric.reviewer_criteria:
        kind = rc.criterion.kind
        if kind == "scale":
            _by_id(page, f"s-{rc.id}-3").check()
        elif kind == "yes_no":
            _by_id(page, f"s-{rc.id}-yes").check()
        _by_id(page, f"t-{rc.id}").fill(f"How we meet {rc.criterion.title}.")
    page.get_by_label("Summary of the self-assessment").fill("A mature course with yearly reviews.")
    page.get_by_role("button", name="Save draft").click()
    assert "Draft saved." in page.content()
    page.get_by_role("button", name="Submit the self-assessment").click()
    page.wait_for_url(f"{base}/cases/{case_id}")
    assert "Self-assessment submitted." in page.content()

    # --- the QA officer confirms the engine's proposal
    officer = Person(browser, base, "officer")
    officer.shot("03-home-officer", full_page=False)
    page = officer.go(f"/cases/{case_id}/assignment")
    officer.shot("04-assignment")
    assert "Blocked reviewers" in page.content()
    page.get_by_role("button", name="Invite the selected reviewers").click()
    assert "2 reviewers invited." in page.content()
    officer.go("/assign")
    officer.shot("05-batch-assignment")

    # --- two reviewers accept and score
    with session_scope() as s:
        invited = case_repo.assignments_of(s, case_id, 1, statuses=(AssignmentStatus.INVITED,))
        names = {v.user_id: k for k, v in p.items()}
        reviewers = [(names[a.reviewer_id], a.id) for a in invited]
    for n, (username, asg_id) in enumerate(reviewers):
        rev = Person(browser, base, username)
        page = rev.go("/invitations")
        if n == 0:
            rev.shot("06-invitations")
        page.get_by_role("button", name="Accept").click()
        page.wait_for_url(f"**/assignments/{asg_id}/review")
        for rc in rubric.reviewer_criteria:
            if rc.criterion.kind == "scale":
                _by_id(page, f"s-{rc.id}-{3 + n % 2}").check()
            elif rc.criterion.kind == "yes_no":
                _by_id(page, f"s-{rc.id}-yes").check()
            _by_id(page, f"t-{rc.id}").fill("Clear evidence for this criterion.")
        _by_id(page, "rec-approved").check()
        page.get_by_label("Overall comment").fill("A well-designed micro-credential.")
        if n == 0:
            _by_id(page, "c-esg-1.2").scroll_into_view_if_needed()
            rev.shot("07-review-form", full_page=False)
        page.get_by_role("button", name="Submit the review").click()
        page.wait_for_url(f"{base}/cases/{case_id}/reviews")
        assert "Review submitted." in page.content()
        if n == 1:
            rev.shot("08-reviews-after-submitting")
            assert page.content().count('class="review"') == 2, (
                "both reviews visible after one's own"
            )
        rev.context.close()

    # --- the approver reads the consolidated view and decides
    approver = Person(browser, base, "approver")
    approver.wait_for(f"/cases/{case_id}/decision", "Record the decision")
    page = approver.page
    approver.shot("09-consolidated-view")
    _by_id(page, "o-approved").check()
    page.get_by_label("Rationale").fill("Meets every standard of the alliance rubric.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"{base}/cases/{case_id}")

    # --- the report: downloaded from the case page, verified on the public page
    prov.wait_for(f"/cases/{case_id}", "Download PDF")
    prov.shot("10-case-closed")
    with prov.page.expect_download() as download:
        prov.page.get_by_role("link", name="Download PDF").click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    public = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = public.new_page()
    page.goto(f"{base}/verify")
    page.get_by_label("Report (PDF)").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("section.verdict")
    assert "Valid — issued by" in page.content()
    assert "yes, exactly this file" in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "11-verify.png"), full_page=True)

    leader = Person(browser, base, "leader")
    page = leader.go("/dashboard")
    assert "Cases by state and institution" in page.content()
    leader.shot("12-dashboard")
    with session_scope() as s:
        case = case_repo.get_case(s, case_id)
        assert case.state == CaseState.CLOSED and case.outcome == "approved"
        assert case_service.rubric_of(s, case).id == "4eu-mici"


def _delay(page, ms: int) -> None:
    """The autosave delay of the page's form (its data-delay attribute)."""
    page.evaluate(
        f"document.querySelector('form[data-autosave]').setAttribute('data-delay', '{ms}')"
    )


def _fill_rubric(page, rubric, text: str) -> None:
    for rc in rubric.reviewer_criteria:
        if rc.criterion.kind == "scale":
            _by_id(page, f"s-{rc.id}-3").check()
        elif rc.criterion.kind == "yes_no":
            _by_id(page, f"s-{rc.id}-yes").check()
        _by_id(page, f"t-{rc.id}").fill(f"{text} {rc.id}.")


def _two_tabs(person: Person, path: str):
    """The same form open in two tabs of one browser, both before the first save."""
    tab1 = person.go(path)
    tab2 = person.context.new_page()
    tab2.set_default_timeout(20_000)
    tab2.goto(person.base + path)
    for tab in (tab1, tab2):
        assert tab.locator('input[name="version"]').input_value() == "0"
    _delay(tab1, 600_000)  # tab 1 saves with its button only
    return tab1, tab2


def _autosave_conflict(tab2, typed: str) -> None:
    """Tab 2 types; its autosave is refused; its text stays in the page."""
    _delay(tab2, 200)
    _by_id(tab2, "t-esg-1.1").fill(typed)
    tab2.locator("#autosave-conflict").wait_for()
    assert "saved in another tab" in tab2.inner_text("#autosave-conflict")
    assert "saved elsewhere" in tab2.inner_text("#autosave-status")
    assert _by_id(tab2, "t-esg-1.1").input_value() == typed, "the typed text is kept"
    # autosave has stopped: another change sends nothing, the message stays
    if tab2.locator("#overall_comment").count():
        tab2.locator("#overall_comment").fill("Tab two overall.")
    else:
        tab2.locator("#summary").fill("Tab two summary.")
    assert tab2.locator("#autosave-conflict").count() == 1


def test_two_tabs_on_one_review_draft(server, browser, p):
    with session_scope() as s:
        case_id = to_state(s, p, "peer_review")
        rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
        asg = case_repo.assignments_of(s, case_id, 1, statuses=(AssignmentStatus.ACCEPTED,))[0]
        username = next(k for k, v in p.items() if v.user_id == asg.reviewer_id)
        asg_id = asg.id
    reviewer = Person(browser, server, username)
    tab1, tab2 = _two_tabs(reviewer, f"/assignments/{asg_id}/review")

    _fill_rubric(tab1, rubric, "Tab one on")
    _by_id(tab1, "rec-approved").check()
    tab1.get_by_role("button", name="Save draft").click()
    tab1.locator("text=Draft saved.").wait_for()

    _autosave_conflict(tab2, "Tab two typed this.")
    with session_scope() as s:
        stored = case_repo.review_for_assignment(s, asg_id)
        assert stored.version == 1 and stored.recommendation == "approved"
        assert len(stored.comments) == len(rubric.reviewer_criteria)
        assert stored.comments["esg-1.1"] == "Tab one on esg-1.1."

    # compare: theirs beside the saved draft, then keep mine
    tab2.locator("#compare-drafts").click()
    tab2.locator("#conflict table.compare").wait_for()
    table = tab2.inner_text("#conflict table.compare")
    assert "Tab two typed this." in table and "Tab one on esg-1.1." in table
    assert _by_id(tab2, "t-esg-1.1").input_value() == "Tab two typed this."
    tab2.locator("#conflict").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab2.screenshot(path=str(SHOTS / "13-draft-conflict.png"))
    tab2.locator("#keep-mine").click()
    tab2.locator("text=Draft saved.").wait_for()
    with session_scope() as s:
        stored = case_repo.review_for_assignment(s, asg_id)
        assert stored.version == 2 and stored.comments == {"esg-1.1": "Tab two typed this."}
        assert stored.recommendation is None and stored.overall_comment == "Tab two overall."
    reviewer.context.close()


def test_two_tabs_on_one_self_assessment_draft(server, browser, p):
    with session_scope() as s:
        case_id = to_state(s, p, "self_assessment")
        rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
    prov = Person(browser, server, "prov.cuni")
    path = f"/cases/{case_id}/self-assessment"
    tab1, tab2 = _two_tabs(prov, path)

    _fill_rubric(tab1, rubric, "Tab one on")
    tab1.get_by_label("Summary of the self-assessment").fill("Tab one summary.")
    tab1.get_by_role("button", name="Save draft").click()
    tab1.locator("text=Draft saved.").wait_for()

    _autosave_conflict(tab2, "Tab two narrative.")
    with session_scope() as s:
        sa = case_repo.get_self_assessment(s, case_id, 1)
        assert sa.version == 1 and sa.summary == "Tab one summary."
        assert len(sa.entries) == len(rubric.reviewer_criteria)

    # use the saved draft: the page shows tab one's input, the draft is unchanged
    tab2.locator("#use-saved").click()
    tab2.wait_for_function("document.getElementById('t-esg-1.1').value === 'Tab one on esg-1.1.'")
    assert tab2.locator("#autosave-conflict").count() == 0
    assert tab2.locator("#summary").input_value() == "Tab one summary."
    with session_scope() as s:
        sa = case_repo.get_self_assessment(s, case_id, 1)
        assert sa.version == 1 and sa.entries["esg-1.1"]["narrative"] == "Tab one on esg-1.1."
    prov.context.close()
