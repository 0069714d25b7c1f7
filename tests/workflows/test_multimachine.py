"""Multi-machine mode on loopback: a Prefect server on PostgreSQL, the engine on PostgreSQL, two
`qa-engine worker` processes serving the deployments, cases pushed as deployment runs.
Both workers must do work and every case must complete exactly once.

Run on its own with `pytest -m multimachine` (`.ci/run` does)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, throwaway_pg_database

pytestmark = pytest.mark.multimachine
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


@pytest.fixture
def databases():
    with (
        throwaway_pg_database("qa_mm_prefect") as prefect,
        throwaway_pg_database("qa_mm_engine") as engine,
    ):
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql+{driver}")
        yield {"prefect": base + "/" + prefect.name, "engine": base + "/" + engine.name}


def test_two_workers_share_a_batch(databases, tmp_path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    common = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QA_"))},
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    server_env = {
        **common,
        "PREFECT_API_DATABASE_CONNECTION_URL": databases["prefect"].format(driver="asyncpg"),
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    engine_env = {
        **common,
        "PREFECT_API_URL": api,
        "QA_DATA_DIR": str(tmp_path / "shared-data"),
        "QA_DATABASE_URL": databases["engine"].format(driver="psycopg"),
        "QA_PREFECT_MODE": "deployment",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "QA_WORKFLOW_SETTINGS": str(tmp_path / "wf.yaml"),
    }
    import yaml

    settings = yaml.safe_load((ROOT / "workflows" / "settings.yaml").read_text())
    settings["auto_assign"] = True
    (tmp_path / "wf.yaml").write_text(yaml.safe_dump(settings))

    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []

    def start(name, args, env):
        out = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        )

    def qa(*args, check=True):
        r = subprocess.run(
            [str(BIN / "qa-engine"), *map(str, args)],
            env=engine_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert r.returncode == 0, r.stdout + r.stderr
        return r

    try:
        start(
            "server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            server_env,
        )
        _wait_http(f"{api}/health", 90)
        qa("init")
        subprocess.run(
            [sys.executable, "-c", SEED], env=engine_env, cwd=ROOT, check=True, timeout=300
        )
        for i in (1, 2):
            start(
                f"worker{i}",
                [str(BIN / "qa-engine"), "worker", "--sweep-minutes", "0", "--limit", "2"],
                engine_env,
            )
        ids = [int(x) for x in (tmp_path / "shared-data" / "case-ids.txt").read_text().split()]
        time.sleep(5)  # both workers registered and polling
        out = qa("advance", *ids)
        assert f"{len(ids)} flow run(s) queued" in out.stdout, out.stdout
        again = qa("advance", *ids)  # the same kick again: the idempotency keys start nothing new
        assert f"{len(ids)} flow run(s) queued" in again.stdout

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            states = subprocess.run(
                [sys.executable, "-c", STATES, *map(str, ids)],
                env=engine_env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout.split()
            if states and all(s == "peer_review" for s in states):
                break
            time.sleep(2)
        assert states and all(s == "peer_review" for s in states), states

        check = subprocess.run(
            [sys.executable, "-c", CHECK, *map(str, ids)],
            env=engine_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode == 0, check.stdout + check.stderr

        runs = {}
        for i in (1, 2):
            text_ = (logs / f"worker{i}.log").read_text(errors="replace")
            runs[i] = set(re.findall(r"/runs/flow-run/([0-9a-f-]{36})", text_))
        assert runs[1] and runs[2], (
            f"both workers must run flows: { ({k: len(v) for k, v in runs.items()}) }"
        )
        assert not (runs[1] & runs[2]), "a flow run was executed by both workers"
        assert len(runs[1] | runs[2]) == len(ids), (
            "one run per case (the repeated kick started nothing)"
        )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


SEED = """
from qa_engine.store.db import session_scope
from qa_engine.services import self_assessments, cases as case_service
from qa_engine.services.advance import next_step, run_step
from qa_engine.store import case_repo
from qa_engine.config import get_settings
from tests.helpers import people, credential, full_self_assessment
from qa_engine.domain.roles import Role
from qa_engine.services.users import add_user
ids = []
with session_scope() as s:
    p = people(s)
    for i in range(12):
        add_user(
            session=s, username=f"mm{i}", full_name=f"MM Reviewer {i}", email=f"mm{i}@example.eu",
            roles=[Role.REVIEWER], institution_code=["CUNI", "UW", "UCPH", "UNIMI"][i % 4],
            max_open_reviews=6,
        )
    for i in range(8):
        cid = credential(s, i % 10, reference=f"MM-{i:02d}")
        ids.append(case_service.open_case(session=s, actor=p["officer"], credential_id=cid).id)
for cid in ids:
    with session_scope() as s:
        step = next_step(s, cid)
        run_step(s, step)  # screening, so that the workers start from the assignment stage
    with session_scope() as s:
        case = case_repo.get_case(s, cid)
        prov = next(
            v for k, v in p.items()
            if k.startswith("prov.") and v.institution_id == case.institution_id
        )
        rubric = case_service.rubric_of(s, case)
        self_assessments.save_self_assessment(session=s, actor=prov, case_id=cid, submit=True,
                                              entries=full_self_assessment(rubric))
(get_settings().resolved_data_dir / "case-ids.txt").write_text(" ".join(map(str, ids)))
"""

STATES = """
import sys
from qa_engine.store.db import session_scope
from qa_engine.store import case_repo
with session_scope() as s:
    print(" ".join(case_repo.get_case(s, int(c)).state for c in sys.argv[1:]))
"""

CHECK = """
import sys
from qa_engine.store.db import session_scope
from qa_engine.store import audit_repo, case_repo
from qa_engine.services.audit import verify
with session_scope() as s:
    for c in map(int, sys.argv[1:]):
        asg = case_repo.assignments_of(s, c)
        assert len(asg) == 2 and len({a.reviewer_id for a in asg}) == 2, (c, len(asg))
        inv = [n for n in case_repo.notifications_of(s, case_id=c) if n.template == "invitation"]
        assert len(inv) == 2 and all(n.status == "sent" for n in inv), (
            c, [(n.key, n.status) for n in inv]
        )
        events = [e.action for e in audit_repo.events_for(s, "case", c)]
        assert events.count("case.peer_review") == 1, (c, events)
    assert verify(s)[1] == []
print("ok")
"""
