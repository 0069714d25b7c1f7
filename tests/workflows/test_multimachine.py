"""Multi-machine mode on a network of separate hosts (network namespaces, see `netlab`):

- the server host (10.77.0.1): the Prefect server and PostgreSQL (a private cluster of the test,
  holding Prefect's database and the engine's);
- two worker hosts (10.77.0.2, 10.77.0.3), each running `qa-engine worker` (serving the
  deployments) with a data folder of its own, reaching the Prefect API and the engine's database
  over the network.

Cases are pushed as deployment runs (`qa-engine advance` on the server host, in deployment mode).
Both workers must do work and every case must complete exactly once; then the same with faults:
a worker's link cut mid-batch, the server's host unreachable for longer than the workers'
heartbeat, a worker whose clock is minutes ahead. After each fault: recovery, a sweep, and every
case has exactly one pair of reviewers, one invitation per reviewer (sent, once, by one host), one
`case.peer_review` event, and the audit chain verifies.

The test itself reads the databases through PostgreSQL's unix socket (a console on the server host);
everything else goes over the namespaces' network. Run with `pytest -m multimachine` (`.ci/run`
does); skipped with the reason where network namespaces cannot be made (not root, no `ip`)."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from qa_engine.config import reset_settings
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.statuses import NotificationStatus
from qa_engine.store import audit_repo, case_repo
from qa_engine.store.db import read_only_session, reset_engines, session_scope
from qa_engine.synthetic import Rates, Staff, SyntheticAlliance
from tests.conftest import write_workflow_settings
from tests.pg_private import PrivatePostgres, start_private_pg
from tests.workflows import netlab

pytestmark = [pytest.mark.multimachine, pytest.mark.timeout(1200)]
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVER_IP = f"{netlab.SUBNET}.1"
API = f"http://{SERVER_IP}:4200/api"
# the workers' heartbeat, as the server sees it: a deployment not polled for this long is marked
# NOT_READY by the server's foreman (checked every second); the workers poll every second
HEARTBEAT_TIMEOUT = 10
LINK_DOWN_SECONDS = 20  # a worker's cut: longer than its heartbeat and its runs' steps
CASES = 8  # per test: each is one flow run, in a process of its own on a worker
QUIET = Rates(decline_rate=0, late_rate=0, disagreement_rate=0)
TERMINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
T = TypeVar("T")
REGISTER = (
    "from qa_engine.workflows.serve import deployments\n"
    "for d in deployments(sweep_minutes=0):\n"
    "    d.apply()\n"
)
HEALTH = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)"


def wait_for(what: str, probe: Callable[[], T], timeout: float, every: float = 1.0) -> T:
    """Poll `probe` until it returns something true; that value. Fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; last: {value!r}")
        time.sleep(every)


@dataclass
class Cluster:
    lab: netlab.Lab
    pg: PrivatePostgres
    base: Path
    alliance: SyntheticAlliance = field(default_factory=lambda: SyntheticAlliance(seed=13))
    engine_db: str = ""
    staff: Staff | None = None
    next_credential: int = 0

    def prefect_sql(self, sql: str, *args: object) -> list[tuple]:
        with self.pg.connect("prefect") as conn:
            return conn.execute(sql, args).fetchall()

    def deployment(self, name: str = "advance-case") -> tuple[str, object]:
        """The status and last poll of a deployment (NOT_READY once its heartbeat is missed)."""
        rows = self.prefect_sql("SELECT status, last_polled FROM deployment WHERE name = %s", name)
        return rows[0] if rows else ("", None)

    def db_now(self) -> object:
        with self.pg.connect() as conn:
            return conn.execute("SELECT now()").fetchone()[0]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    reason = netlab.unavailable()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("multimachine")
    (base / "logs").mkdir()
    lab = netlab.Lab(logs=base / "logs")
    with netlab.terminate_as_interrupt():
        try:
            try:
                lab.start()
                lab.add_host("server", 1)
                lab.add_host("w1", 2)
                lab.add_host("w2", 3)
            except RuntimeError as exc:
                pytest.skip(f"cannot make the hosts' network: {exc}")
            with start_private_pg(netns=lab.hosts["server"].ns, listen=SERVER_IP, port=5432) as pg:
                with pg.connect() as conn:
                    conn.execute('CREATE DATABASE "prefect"')
                env = {
                    **_clean_env(),
                    "PREFECT_HOME": str(base / "server-prefect-home"),
                    "PREFECT_API_DATABASE_CONNECTION_URL": pg.url("prefect", driver="asyncpg"),
                    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
                    "PREFECT_SERVER_SERVICES_FOREMAN_LOOP_SECONDS": "1",
                    "PREFECT_SERVER_SERVICES_FOREMAN_DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS": str(
                        HEARTBEAT_TIMEOUT
                    ),
                }
                server = lab.popen(
                    "server",
                    [BIN / "prefect", "server", "start", "--host", SERVER_IP, "--port", "4200"],
                    env=env,
                    log="prefect-server",
                    cwd=ROOT,
                )
                try:

                    def healthy() -> bool:
                        if server.poll() is not None:
                            log = (lab.logs / "prefect-server.log").read_text(errors="replace")
                            raise AssertionError(f"the Prefect server ended:\n{log[-3000:]}")
                        probe = [sys.executable, "-c", HEALTH, API + "/health"]
                        return lab.run("server", probe, env=env, cwd=ROOT).returncode == 0

                    wait_for("the Prefect server's health check", healthy, timeout=600, every=2)
                    # the deployments, registered as a worker registers them when it starts: a
                    # kick may then come before any worker serves
                    r = lab.run(
                        "server",
                        [sys.executable, "-c", REGISTER],
                        env={
                            **_clean_env(),
                            "PREFECT_API_URL": API,
                            "PREFECT_HOME": env["PREFECT_HOME"],
                        },
                        cwd=ROOT,
                    )
                    assert r.returncode == 0, r.stdout + r.stderr
                    yield Cluster(lab=lab, pg=pg, base=base)
                finally:
                    lab.stop(server)
        finally:
            lab.close()
    assert lab.namespaces() == [], "the lab's namespaces were not removed"


def _clean_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QA_"))},
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }


@dataclass
class Batch:
    """One test's cases on the cluster, and the hosts that work on them."""

    cluster: Cluster
    tmp: Path
    wf: Path
    ids: list[int] = field(default_factory=list)
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def lab(self) -> netlab.Lab:
        return self.cluster.lab

    def host_env(self, host: str, **extra: str) -> dict[str, str]:
        return {
            **_clean_env(),
            "PREFECT_API_URL": API,
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "QA_DATA_DIR": str(self.data_dir(host)),
            "QA_DATABASE_URL": self.cluster.pg.url(self.cluster.engine_db),
            "QA_PREFECT_MODE": "deployment",
            "QA_WORKFLOW_SETTINGS": str(self.wf),
            **extra,
        }

    def data_dir(self, host: str) -> Path:
        return self.tmp / "hosts" / host / "data"

    def log(self, host: str) -> str:
        return (self.lab.logs / f"{self.tmp.name}-{host}.log").read_text(errors="replace")

    def start_worker(self, host: str, **extra: str) -> None:
        self.workers[host] = self.lab.popen(
            host,
            [BIN / "qa-engine", "worker", "--sweep-minutes", "0", "--limit", "2"],
            env=self.host_env(host, **extra),
            log=f"{self.tmp.name}-{host}",
            cwd=ROOT,
        )

    def wait_workers_polling(self) -> None:
        """Each worker says it serves, and the server has seen a poll since."""
        since = self.cluster.db_now()
        for host, proc in self.workers.items():
            wait_for(
                f"worker {host} to serve",
                lambda h=host, p=proc: (
                    "being served and polling" in self.log(h) or p.poll() is not None
                ),
                timeout=600,
            )
            assert proc.poll() is None, f"worker {host} ended:\n{self.log(host)[-3000:]}"
        wait_for(
            "a poll of the deployment",
            lambda: (d := self.cluster.deployment())[0] == "READY" and d[1] > since,
            timeout=300,
        )

    def qa(self, host: str, *args: object, timeout: float = 900) -> str:
        r = self.lab.run(
            host, [BIN / "qa-engine", *map(str, args)], env=self.host_env(host), cwd=ROOT,
            timeout=timeout,
        )  # fmt: skip
        assert r.returncode == 0, f"qa-engine {args} on {host}: {r.stdout}{r.stderr}"
        return r.stdout

    def kick(self) -> None:
        out = self.qa("server", "advance", *self.ids)
        runs = "flow run" if len(self.ids) == 1 else "flow runs"
        assert f"{len(self.ids)} {runs} queued" in out, out

    def staffed(self) -> int:
        with read_only_session() as s:
            return sum(
                1 for cid in self.ids if case_repo.get_case(s, cid).state == CaseState.PEER_REVIEW
            )

    def run_states(self) -> dict[str, int]:
        """The state types of this batch's flow runs, counted."""
        rows = self.cluster.prefect_sql(
            "SELECT r.state_type, count(*) FROM flow_run r JOIN deployment d "
            "ON d.id = r.deployment_id WHERE d.name = 'advance-case' "
            "AND (r.parameters->>'case_id')::int = ANY(%s) GROUP BY 1",
            self.ids,
        )
        return {str(k): int(v) for k, v in rows}

    def runs_settled(self) -> dict[str, int] | None:
        """The run states once every run of the batch has ended (None before)."""
        states = self.run_states()
        settled = sum(v for k, v in states.items() if k in TERMINAL)
        return states if settled == sum(states.values()) >= len(self.ids) else None

    def begun_unstaffed(self, host: str) -> list[int]:
        """The cases whose flow run the worker has begun and that have not moved yet."""
        begun = {int(c) for c in re.findall(r"Beginning flow run 'case-(\d+)'", self.log(host))}
        with read_only_session() as s:
            return sorted(
                c
                for c in begun & set(self.ids)
                if case_repo.get_case(s, c).state != CaseState.PEER_REVIEW
            )

    def worker_runs(self, host: str) -> set[str]:
        return set(re.findall(r"/runs/flow-run/([0-9a-f-]{36})", self.log(host)))

    def finish(self, sweep_host: str) -> None:
        """Recovery: every flow run of the batch ends; then a sweep on `sweep_host`; then every
        case is staffed."""
        wait_for("every flow run of the batch to end", self.runs_settled, timeout=900, every=2)
        out = self.qa(sweep_host, "sweep")
        assert "failed: 0" in out, out
        wait_for(f"all {len(self.ids)} cases staffed", lambda: self.staffed() == len(self.ids), 60)

    def assert_exactly_once(self) -> None:
        """Every case: two distinct reviewers, one sent invitation each (delivered by exactly one
        host), one `case.peer_review` event; the audit chain verifies (through a host's CLI)."""
        with read_only_session() as s:
            keys = []
            for cid in self.ids:
                case = case_repo.get_case(s, cid)
                assert case.state == CaseState.PEER_REVIEW, (cid, case.state)
                asg = case_repo.assignments_of(s, cid)
                assert len(asg) == 2 and len({a.reviewer_id for a in asg}) == 2, (
                    cid,
                    [(a.reviewer_id, a.status) for a in asg],
                )
                notes = [
                    n
                    for n in case_repo.notifications_of(s, case_id=cid)
                    if n.template == "invitation"
                ]
                assert sorted(n.key for n in notes) == sorted(f"invitation:{a.id}" for a in asg)
                assert all(
                    n.status == NotificationStatus.SENT and n.attempts == 1 for n in notes
                ), [(n.key, n.status, n.attempts) for n in notes]
                keys += [n.key for n in notes]
                events = [e.action for e in audit_repo.events_for(s, "case", cid)]
                assert events.count("case.peer_review") == 1, (cid, events)
        # each message left by one host's outbox, once: a message sent by two hosts is in two
        from qa_engine.adapters.mail import outbox_file_name

        names = {outbox_file_name(k) for k in keys}
        found: dict[str, list[str]] = {}
        for host_dir in (self.tmp / "hosts").iterdir():
            for f in (host_dir / "data" / "outbox").glob("*.eml"):
                if f.name in names:
                    found.setdefault(f.name, []).append(host_dir.name)
        assert sorted(found) == sorted(names), f"{len(names) - len(found)} invitation(s) unsent"
        twice = {k: v for k, v in found.items() if len(v) > 1}
        assert not twice, f"sent by more than one host: {twice}"
        out = self.qa("w1", "audit", "verify")
        assert "audit trail intact" in out, out


@pytest.fixture
def batch(cluster, tmp_path, monkeypatch) -> Iterator[Batch]:
    """The engine's database (made once per module, on the server host), CASES new cases waiting
    for assignment, the hosts' settings; the workers started by the test are stopped after it."""
    from qa_engine.cli.main import initialise_all

    wf = write_workflow_settings(tmp_path / "wf.yaml", auto_assign=True, reviewers_per_case=2)
    first = not cluster.engine_db
    if first:
        cluster.engine_db = f"qa_engine_{uuid.uuid4().hex[:8]}"
        with cluster.pg.connect() as conn:
            conn.execute(f'CREATE DATABASE "{cluster.engine_db}"')
    monkeypatch.setenv("QA_DATABASE_URL", cluster.pg.socket_url(cluster.engine_db))
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "hosts" / "console" / "data"))
    monkeypatch.setenv("QA_WORKFLOW_SETTINGS", str(wf))
    reset_settings()
    reset_engines()
    b = Batch(cluster=cluster, tmp=tmp_path, wf=wf)
    try:
        if first:
            initialise_all()
            with session_scope() as s:
                cluster.staff = cluster.alliance.staff(
                    s, reviewers_per_institution=6, max_open_reviews=6
                )
        b.ids = _cases_waiting_for_assignment(cluster, CASES)
        yield b
    finally:
        for proc in b.workers.values():
            cluster.lab.stop(proc)
        reset_engines()
        reset_settings()


def _cases_waiting_for_assignment(cluster: Cluster, n: int) -> list[int]:
    """n new cases, opened by their providers, screened, self-assessed: the next automated step
    invites reviewers (the human steps and the screening done here, through the services)."""
    alliance, staff = cluster.alliance, cluster.staff
    assert staff is not None
    start, cluster.next_credential = cluster.next_credential, cluster.next_credential + n
    with session_scope() as s:
        ids = alliance.open_cases(s, alliance.credentials(s, n, start=start), staff=staff)
    with session_scope() as s:
        alliance.screen(s, ids)
    with session_scope() as s:
        assert alliance.behaviour(staff, rates=QUIET).self_assess(s, ids) == n
    return ids


def test_two_workers_share_a_batch(batch):
    batch.kick()
    # the same kick again, before any case has moved: the idempotency keys start nothing new
    batch.kick()
    batch.start_worker("w1")
    batch.start_worker("w2")
    wait_for("all cases staffed", lambda: batch.staffed() == len(batch.ids), timeout=900, every=2)
    wait_for("every flow run of the batch to end", batch.runs_settled, timeout=300, every=2)
    assert batch.run_states() == {"COMPLETED": len(batch.ids)}, batch.run_states()
    batch.assert_exactly_once()
    runs = {h: batch.worker_runs(h) for h in ("w1", "w2")}
    assert runs["w1"] and runs["w2"], (
        f"both workers must run flows: { ({k: len(v) for k, v in runs.items()}) }"
    )
    assert not (runs["w1"] & runs["w2"]), "a flow run was executed by both workers"
    assert len(runs["w1"] | runs["w2"]) == len(batch.ids), "one run per case"


def test_worker_link_cut_mid_batch_then_restored(batch):
    """Worker 1's cable is pulled while it runs a flow; worker 2 goes on; the cable goes back."""
    lab = batch.lab
    batch.start_worker("w1")
    batch.start_worker("w2")
    batch.wait_workers_polling()
    batch.kick()
    wait_for(
        "worker 1 inside the run of a case that has not moved yet",
        lambda: batch.begun_unstaffed("w1"),
        timeout=900,
        every=0.2,
    )
    lab.cut("w1")
    staffed_at_cut = batch.staffed()
    inside = batch.begun_unstaffed("w1")
    t_cut = time.monotonic()
    try:
        assert not lab.link_up("w1")
        time.sleep(LINK_DOWN_SECONDS)  # the fault itself: the link is down this long
        staffed_at_restore = batch.staffed()
        stuck = [c for c in inside if c in batch.begun_unstaffed("w1")]
    finally:
        lab.restore("w1")
    print(
        f"cut worker 1 for {time.monotonic() - t_cut:.0f} s, with {staffed_at_cut} of "
        f"{len(batch.ids)} staffed and worker 1 inside the run(s) of case(s) {inside}; "
        f"{staffed_at_restore} staffed when it came back, case(s) {stuck} still where they were"
    )
    batch.finish(sweep_host="w2")
    batch.assert_exactly_once()
    print(f"flow runs: {batch.run_states()}")


def test_server_unreachable_longer_than_a_heartbeat(batch):
    """The server's host (Prefect's API and the databases) drops off the network mid-batch, until
    the server has marked the workers' deployments NOT_READY (no poll for HEARTBEAT_TIMEOUT s);
    then it comes back, the workers poll again and the batch ends."""
    cluster, lab = batch.cluster, batch.lab
    batch.start_worker("w1")
    batch.start_worker("w2")
    batch.wait_workers_polling()
    batch.kick()
    wait_for(
        "a worker inside the run of a case that has not moved yet",
        lambda: batch.begun_unstaffed("w1") or batch.begun_unstaffed("w2"),
        timeout=900,
        every=0.2,
    )
    staffed_at_cut = batch.staffed()
    lab.cut("server")
    cut_at = cluster.db_now()
    t_cut = time.monotonic()
    try:
        # the heartbeat is missed: no poll got through since the cut, and the server noticed
        status, last = wait_for(
            "the server to mark the deployment NOT_READY",
            lambda: (
                (d := cluster.deployment())[0] == "NOT_READY"
                and (cluster.db_now() - cut_at).total_seconds() >= HEARTBEAT_TIMEOUT
                and d
            ),
            timeout=600,
        )
    finally:
        lab.restore("server")
    restored_at = cluster.db_now()
    down = time.monotonic() - t_cut
    # the workers come back: a poll after the restore
    wait_for(
        "a poll after the restore",
        lambda: (d := cluster.deployment())[0] == "READY" and d[1] > restored_at,
        timeout=600,
    )
    print(
        f"server unreachable for {down:.0f} s (last poll {(cut_at - last).total_seconds():.1f} s "
        f"before the cut) with {staffed_at_cut} of {len(batch.ids)} staffed"
    )
    batch.finish(sweep_host="w1")
    batch.assert_exactly_once()
    print(f"flow runs: {batch.run_states()}")


def _libfaketime() -> str | None:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    return found[0] if found else None


def test_worker_clock_skewed_by_minutes(batch):
    """Worker 2's clock is 5 minutes ahead (libfaketime on its process and the flow runs it
    starts; monotonic clocks are left alone): the server still hands each run to one worker, and
    the sweep on the skewed host changes nothing twice."""
    lib = _libfaketime()
    if lib is None:
        pytest.skip("libfaketime is not installed (Debian package faketime)")
    skew = {"LD_PRELOAD": lib, "FAKETIME": "+5m", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    probe = batch.lab.run(
        "w2", [sys.executable, "-c", "import time; print(time.time())"],
        env={**batch.host_env("w2"), **skew}, cwd=ROOT, timeout=60,
    )  # fmt: skip
    ahead = float(probe.stdout.strip()) - time.time()
    assert 290 < ahead < 320, f"the skewed clock is {ahead:.0f} s ahead"
    batch.start_worker("w1")
    batch.start_worker("w2", **skew)
    batch.wait_workers_polling()
    batch.kick()
    wait_for("all cases staffed", lambda: batch.staffed() == len(batch.ids), timeout=900, every=2)
    wait_for("every flow run of the batch to end", batch.runs_settled, timeout=300, every=2)
    # the skewed worker did its share, and wrote its own time
    runs = {h: batch.worker_runs(h) for h in ("w1", "w2")}
    assert runs["w1"] and runs["w2"], {k: len(v) for k, v in runs.items()}
    with read_only_session() as s:
        real = batch.cluster.db_now()
        times = [
            e.at
            for cid in batch.ids
            for e in audit_repo.events_for(s, "case", cid)
            if e.action == "case.peer_review"
        ]
    ahead_events = [t for t in times if (t - real).total_seconds() > 120]
    assert ahead_events, f"no event carries the skewed clock (now {real}): {times}"
    out = batch.lab.run(
        "w2", [BIN / "qa-engine", "sweep"], env={**batch.host_env("w2"), **skew}, cwd=ROOT
    )
    assert out.returncode == 0 and "failed: 0" in out.stdout, out.stdout + out.stderr
    print(
        f"runs: worker 1 {len(runs['w1'])}, worker 2 (+5 min) {len(runs['w2'])}; "
        f"{len(ahead_events)} of {len(times)} assignments stamped ahead; states "
        f"{batch.run_states()}"
    )
    batch.assert_exactly_once()
