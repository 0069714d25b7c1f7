"""Property-based calls generated from the OpenAPI schema, in process, as two different users (a
provider and a QA officer), against a world with cases in several states: never a server error.

Budget: a few examples per operation and mode, and about 30 s in all (the loop stops early when the
time is up; every operation still gets its first examples)."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.web.conftest import data_folder
from tests.web.world import build_world

BUDGET_SECONDS = 20
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, template_folder):
    path = tmp_path_factory.mktemp("fuzz") / "data"
    with pytest.MonkeyPatch.context() as mp, data_folder(path, mp, template=template_folder):
        world = build_world()
        from qa_engine.web.app import create_app

        yield world, create_app()


def test_no_server_error_for_any_generated_request(fuzz_target):
    world, app = fuzz_target
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    users = [{"Authorization": f"Bearer {world.tokens[name]}"} for name in ("prov.cuni", "officer")]
    failures: list[str] = []
    calls = 0
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    def make_probe(operation, mode, examples):
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def probe(case):
            nonlocal calls
            for headers in users:
                response = case.call(headers=headers)
                calls += 1
                try:
                    case.validate_response(response, checks=[not_a_server_error], headers=headers)
                except Exception as exc:  # noqa: BLE001 - collect every operation's failures, then report
                    failures.append(
                        f"{operation.label} [{mode.value}]: {response.status_code} "
                        f"{response.text[:300]!r}\n  {str(exc)[:500]}"
                    )
                    return

        return probe

    for mode, examples in EXAMPLES.items():
        for operation in operations:
            if time.monotonic() - started > BUDGET_SECONDS and mode is GenerationMode.NEGATIVE:
                break
            make_probe(operation, mode, examples)()
    assert not failures, f"{len(failures)} server error(s) in {calls} calls:\n" + "\n".join(
        failures[:10]
    )
    assert calls > 300
