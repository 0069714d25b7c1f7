"""A rubric form is read by its field names alone; the service checks the entries against the
rubric."""

from __future__ import annotations

from qa_engine.web.forms import entries_from_form


def test_a_form_becomes_entries_by_criterion_without_the_rubric():
    form = {
        "csrf_token": "x",
        "action": "save",
        "summary": "S",
        "score.esg-1.1": "3",
        "narrative.esg-1.1": "We do.",
        "evidence.esg-1.1": "https://example.eu/a\n\n https://example.eu/b ",
        "score.dg-stackable": "yes",
        "narrative.eu-notes": "Notes.",
        "score.esg-1.2": "",
        "score.esg-1.3": "lots",
        "comment.esg-1.1": "ignored",
    }
    entries, problems = entries_from_form(form, text_key="narrative", with_evidence=True)
    assert entries == {
        "esg-1.1": {
            "narrative": "We do.",
            "score": 3,
            "evidence": ["https://example.eu/a", "https://example.eu/b"],
        },
        "dg-stackable": {"narrative": "", "score": True},
        "eu-notes": {"narrative": "Notes."},
        "esg-1.2": {"narrative": "", "score": None},
        "esg-1.3": {"narrative": "", "score": None},
    }
    assert problems == {"esg-1.3": "'lots' is not a score on the scale"}
    review, _ = entries_from_form(form, text_key="comment", with_evidence=False)
    assert review["esg-1.1"] == {"comment": "ignored", "score": 3}
