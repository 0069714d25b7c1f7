"""Round trip: the engine's ELM export read back by the ELM import gives the credential again,
every element (the standard elements and what the alliance adds), for every shipped sample
credential: the Qualification, the sample issued credential, and the Qualification sealed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from qa_engine.adapters.dev_pki import create_dev_pki
from qa_engine.adapters.elm_export import issued_sample, qualification_document
from qa_engine.adapters.elm_import import parse_elm
from qa_engine.adapters.jose_seal import Sealer
from qa_engine.config import packaged
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS
from tests.interop_fixtures import sample_credential, sample_record

ISSUED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SAMPLES = json.loads(packaged("qa_engine.samples", "credentials.json").read_text("utf-8"))


def _import(doc: dict) -> tuple:
    read = parse_elm(json.dumps(doc).encode("utf-8"), name="export.jsonld")
    return read.credential, read.notes


@pytest.mark.parametrize("index", range(len(SAMPLES)), ids=[s["reference"] for s in SAMPLES])
def test_import_of_the_export_gives_the_credential_again(index):
    cred = sample_credential(index)
    record = sample_record(credential=cred)
    for doc in (qualification_document(record), issued_sample(record, issued_at=ISSUED)):
        back, _notes = _import(doc)
        for element in (*EU_ELEMENTS, *EU_OPTIONAL_ELEMENTS):
            assert back.element_value(element) == cred.element_value(element), element
        assert back.canonical() == cred.canonical()


def test_the_export_sealed_reads_back_and_says_the_seal_was_not_checked(tmp_path):
    cred = sample_credential(0)
    sealer = Sealer.from_signer(create_dev_pki(tmp_path / "pki").signer())
    sealed = sealer.seal_jades(
        qualification_document(sample_record(credential=cred)), signing_time=ISSUED
    )
    back, notes = _import(sealed)
    assert back.canonical() == cred.canonical()
    assert any("its seal was not checked here" in n for n in notes)
