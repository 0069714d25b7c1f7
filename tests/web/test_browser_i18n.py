"""Two reviewers in headless Chromium, one reading Czech and one French (issue 17): each chooses
the language on the account page, then reads the home page, the review form (the rubric's own
texts in that language, as the rubric file gives them) and a refusal in it. Screenshots go to
test-output/screenshots/ (i18n-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qa_engine.adapters.translations import translations
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import to_state
from tests.web.test_browser import CHROMIUM, Person, browser, server  # noqa: F401 (fixtures)

RUBRICS = Path(__file__).resolve().parents[2] / "qa_engine" / "rubrics"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing"),
]


def rubric_text(criterion: str, field: str, lang: str) -> str:
    """A criterion's text in `lang` as its rubric file gives it."""
    for path in sorted(RUBRICS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for c in data.get("criteria") or []:
            if c.get("id") == criterion and isinstance(c.get(field), dict):
                return c[field][lang]
    raise AssertionError(f"no {field} of {criterion} in the rubric files")


def test_reviewers_read_the_pages_and_the_review_form_in_their_language(server, browser, p):  # noqa: F811
    with session_scope() as s:
        case_id = to_state(s, p, "peer_review")
        accepted = [
            a
            for a in case_repo.assignments_of(s, case_id, 1)
            if a.status == AssignmentStatus.ACCEPTED
        ]
        reviewers = [
            (a.id, next(k for k, v in p.items() if v.user_id == a.reviewer_id)) for a in accepted
        ]
    assert len(reviewers) >= 2, "the case needs two reviewers"

    for (assignment_id, username), lang in zip(reviewers, ("cs", "fr"), strict=False):
        _ = translations(lang).gettext
        ngettext = translations(lang).ngettext
        person = Person(browser, server, username)  # a browser set to English
        page = person.page

        # the account's language, chosen on the account page
        person.go("/account/password")
        page.get_by_label("The language the engine speaks to you").select_option(lang)
        page.get_by_role("button", name="Save the language").click()
        page.wait_for_load_state()
        assert _("Your language is saved.") in page.inner_text("body")
        assert page.get_attribute("html", "lang") == lang

        # the home page
        page = person.go("/")
        main = page.inner_text("main")
        assert _("What waits for you") in main and "What waits for you" not in main
        person.shot(f"i18n-{lang}-home", full_page=False)

        # the review form: the rubric's texts as the rubric file gives them, and the form's words
        page = person.go(f"/assignments/{assignment_id}/review")
        main = page.inner_text("main")
        title = rubric_text("esg-1.1", "title", lang)
        assert title != rubric_text("esg-1.1", "title", "en")
        assert page.locator("#c-esg-1\\.1 legend").first.inner_text().endswith(title)
        assert rubric_text("mici-recognition", "title", lang) in main
        assert rubric_text("esg-1.1", "guidance", lang).split()[0] in main
        assert _("Scores and comments") in main and "Scores and comments" not in main
        assert _("Not scored yet") in main
        submit = page.get_by_role("button", name=_("Submit the review"))
        assert submit.is_visible()
        # the automatic save speaks the page's language (its words come from the page)
        form = "document.querySelector('form[data-autosave]')"
        page.evaluate(f"{form}.setAttribute('data-delay', '200')")
        page.locator("#t-esg-1\\.1").fill("Draft comment.")
        saved = _("Draft saved automatically at %(time)s").split("%(time)s")[0].strip()
        page.locator("#autosave-status", has_text=saved).wait_for()
        page.evaluate(f"{form}.setAttribute('data-delay', '600000')")
        person.shot(f"i18n-{lang}-review-form", full_page=False)

        # a refusal: submitted without the scores
        submit.click()
        page.wait_for_load_state()
        errors = page.locator("#form-errors").inner_text()
        assert _("a score is required") in errors and "a score is required" not in errors
        count = errors.split("\n", 1)[0]
        n = int(count.split()[0])
        assert count == ngettext(
            "%(num)s criterion needs attention before you can submit.",
            "%(num)s criteria need attention before you can submit.",
            n,
        ) % {"num": n}
        person.shot(f"i18n-{lang}-review-refused", full_page=False)

        # a page the reviewer may not see: refused in the same language
        response = page.goto(f"{server}/assign")
        assert response is not None and response.status == 403
        assert page.get_attribute("html", "lang") == lang
        assert page.locator("h1").inner_text() == _("Not allowed") != "Not allowed"
        assert page.get_by_role("link", name=_("Go to the home page")).is_visible()
        person.shot(f"i18n-{lang}-forbidden", full_page=False)
        person.context.close()
