"""Schemathesis over the whole OpenAPI schema, in process, as two different users (a provider and a
QA officer), against a world with cases in several states, with every check schemathesis has:
zero failures of any of them.

How it runs: schemathesis's own engine (what `schemathesis run --checks all` does), once per user,
with all its phases: examples, coverage (boundary values, missing and unexpected parameters,
undeclared methods), fuzzing, and stateful sequences of up to 6 calls along the links schemathesis
infers. Every check is enabled (`checks.enabled = true`): not_a_server_error,
status_code_conformance, content_type_conformance, response_headers_conformance,
response_schema_conformance, negative_data_rejection, positive_data_acceptance,
missing_required_header, unsupported_method, allow_header_conformance, ignored_auth (an accepted
request is sent again without the token), use_after_free and ensure_resource_availability (they
judge calls after a delete or a create in a sequence; the API deletes nothing), and
max_response_time at 10 s. object_level_authorization compares the users of a WFC auth file
(`auth.wfc.peers`); the two users here run separately, so it has no peers to compare.

Configuration, and why:
- positive_data_acceptance expects 200, 201, 401, 403, 404 and 409 (schemathesis's default also
  lets 3xx, 429 and 5xx pass): a request the schema allows may still meet a case in the wrong
  state (409), a resource this user may not see (404) or an action of another role (403). For the
  operations below it also expects 422, because part of what they check spans several fields,
  depends on stored data or lies in an uploaded file, which JSON Schema cannot state:
  - POST /credentials and PUT /credentials/{id}: the provider must be a known institution, 25-30
    hours of workload per ECTS credit, `stackable_towards` only for a stackable credential; and
    rules the schema gives in words only: ECTS with one decimal at most, ESCO URIs, DigComp and
    GreenComp codes (every other element's shape is in the schema);
  - POST /credentials/import: the content of the uploaded spreadsheet or JSON file;
  - POST /cases/{id}/self-assessment/submit: a submission must be complete for the case's rubric
    (a score and a narrative for each of its criteria).
- Budget: 2 examples per operation in the examples and fuzzing phases (coverage generates what its
  scenarios need), deterministic and seeded: about 45 s of CPU for the whole file.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from tests.web.conftest import data_folder
from tests.web.world import build_world

EXAMPLES = 2
STATE_OR_ACCESS = [200, 201, 401, 403, 404, 409]
DATA_DEPENDENT = [
    ("POST", "/api/v1/credentials"),
    ("PUT", "/api/v1/credentials/{credential_id}"),
    ("POST", "/api/v1/credentials/import"),
    ("POST", "/api/v1/cases/{case_id}/self-assessment/submit"),
]


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, template_folder):
    path = tmp_path_factory.mktemp("fuzz") / "data"
    with pytest.MonkeyPatch.context() as mp, data_folder(path, mp, template=template_folder):
        world = build_world()
        from qa_engine.web.app import create_app

        yield world, create_app()


def config_for(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {token}"},
            "seed": 13,
            "max-failures": 50,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": EXAMPLES, "deterministic": True},
            "checks": {
                "enabled": True,
                "max_response_time": 10,
                "positive_data_acceptance": {"expected-statuses": STATE_OR_ACCESS},
            },
            "phases": {"stateful": {"enabled": True, "max-steps": 6}},
            "operations": [
                {
                    "include-method": method,
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*STATE_OR_ACCESS, 422]}
                    },
                }
                for method, path in DATA_DEPENDENT
            ],
        }
    )


def run(app, token: str) -> tuple[list[str], int]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config_for(token))
    failures: list[str] = []
    calls = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            calls += len(recorder.interactions)
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    failure = node.failure_info.failure
                    sent = recorder.interactions.get(case_id)
                    what = ""
                    if sent is not None:
                        what = f"{sent.request.method} {sent.request.uri}"
                        if sent.response is not None:
                            what += f" -> {sent.response.status_code}"
                    failures.append(
                        f"[{event.phase.value}] {recorder.label} {node.name}: {failure.title}: "
                        f"{str(failure.message)[:300]}\n    {what}"
                    )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"error in {event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
    return failures, calls


@pytest.mark.parametrize("user", ["prov.cuni", "officer"])
def test_all_checks_pass_for_every_operation(fuzz_target, user):
    world, app = fuzz_target
    assert len(app.openapi()["paths"]) >= 25
    failures, calls = run(app, world.tokens[user])
    assert not failures, f"{len(failures)} failure(s) in {calls} calls:\n" + "\n".join(
        dict.fromkeys(failures)
    )
    assert calls > 200
