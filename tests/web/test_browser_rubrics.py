"""The QA office's rubric pages clicked through in headless Chromium: from the navigation to the
list, a rubric, its coverage, publishing an uploaded file with a reason; then a reviewer reads the
published version, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.web.test_browser import CHROMIUM, Person, browser, server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
ESG = ROOT / "rubrics" / "esg-2015-part1.yaml"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing"),
]


def test_an_officer_publishes_a_rubric_version_in_the_browser(server, browser, tmp_path):  # noqa: F811
    data = yaml.safe_load(ESG.read_text())
    data["rubric"]["version"] = "1.2.0"
    next(c for c in data["criteria"] if c["id"] == "esg-1.4")["weight"] = 2.0
    draft = tmp_path / "esg-2015-part1.yaml"
    draft.write_text(yaml.safe_dump(data, sort_keys=False))

    officer = Person(browser, server, "officer")
    page = officer.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rubrics").click()
    page.wait_for_url(f"{server}/rubrics")
    page.get_by_role("link", name="ESG 2015 Part 1 applied to micro-credentials").click()
    page.wait_for_url(f"{server}/rubrics/esg-2015-part1")
    assert "Meets the standard" in page.content()
    page.get_by_role("link", name="Coverage of the standards").click()
    page.wait_for_url(f"{server}/rubrics/esg-2015-part1/coverage?version=1.1.0")
    assert "ESG 2015 Part 1: 10 of 10 covered" in page.inner_text("main")

    officer.go("/rubric-publish")
    page.get_by_label("Rubric file (.yaml)").set_input_files(str(draft))
    page.get_by_role("button", name="Check and compare").click()
    page.wait_for_url(f"{server}/rubric-publish/preview")
    assert "weight of 'esg-1.4' raised from 1 to 2" in page.inner_text("main")
    page.get_by_label("Why this version is published").fill("ESG 1.4 counts double")
    page.get_by_role("button", name="Publish esg-2015-part1 1.2.0").click()
    page.wait_for_url(f"{server}/rubrics/esg-2015-part1")
    main = page.inner_text("main")
    assert "Rubric esg-2015-part1 1.2.0 published: new cases use it." in main
    officer.context.close()

    reviewer = Person(browser, server, "rev.cuni")
    shown = reviewer.go("/rubrics/esg-2015-part1")
    text = shown.inner_text("main")
    assert "1.2.0" in text and "used by new cases" in text
    assert "Publish a new version" not in text
    assert shown.get_by_role("radio").first.is_disabled()
    reviewer.context.close()
