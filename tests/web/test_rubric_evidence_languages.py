"""The replay and calibration pages show their tables in the page's language (issue 17); English
by default."""

from __future__ import annotations

import pytest

from qa_engine.store.db import get_engine
from qa_engine.synthetic.history import generate
from tests.web.support import signed_in

CS = {"Accept-Language": "cs"}
IT = {"Accept-Language": "it"}


@pytest.fixture
def history(web_env, p):
    generate(get_engine(), 20, seed=3)
    return p


def test_the_replay_page_in_czech_and_english(client, history):
    csrf = signed_in(client, "officer")
    data = {"csrf_token": csrf, "rubric": "4eu-mici@1.1.0", "format": "html"}
    czech = client.post("/rubric-replay", data=data, headers=CS)
    assert czech.status_code == 200, czech.text
    assert "Doporučené výsledky před a po" in czech.text
    assert "Dopad podle instituce" in czech.text
    assert "průměrné celkové skóre před" in czech.text
    assert "would change" not in czech.text and "Effect per institution" not in czech.text
    english = client.post("/rubric-replay", data=data)
    assert "Recommended outcomes before and after" in english.text
    assert "Effect per institution" in english.text


def test_the_calibration_page_in_italian(client, history):
    signed_in(client, "officer")
    page = client.get("/rubric-calibration?rubric=4eu-mici@1.1.0", headers=IT)
    assert page.status_code == 200, page.text
    assert "Criteri ordinati in base a quanto conviene riformularli" in page.text
    assert "Criteria ranked" not in page.text
