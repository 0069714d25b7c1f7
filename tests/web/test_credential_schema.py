"""The API's credential schema states the same lengths as the importer (which the database columns
hold): a text the schema allows is not refused for its length, nor stored cut."""

from __future__ import annotations

from qa_engine.domain.credential import FIELDS
from qa_engine.web.api.schemas import CredentialIn


def _string_schema(prop: dict) -> dict:
    for option in prop.get("anyOf", [prop]):
        if option.get("type") in ("string", "array"):
            return option
    return prop


def test_the_api_states_the_importers_lengths():
    props = CredentialIn.model_json_schema(mode="validation")["properties"]
    for spec in FIELDS:
        if spec.choices or spec.name in ("date_of_issuing", "ects", "workload_hours", "eqf_level"):
            continue
        schema = _string_schema(props[spec.name])
        if spec.multi:
            assert schema.get("maxItems") == spec.max_items, spec.name
            item = schema["items"]
            if "maxLength" in item:
                assert item["maxLength"] == spec.max_length, spec.name
            else:  # languages: a pattern of 2 or 3 letters
                assert "pattern" in item, spec.name
        elif spec.name in ("reference", "country", "isced_f"):
            assert "pattern" in schema, spec.name  # the pattern bounds the length
        else:
            assert schema.get("maxLength") == spec.max_length, spec.name
