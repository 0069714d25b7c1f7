"""The local Prefect server of a data folder: started on first need, reused, stopped when idle or
asked; and no process outlives the command that owns it (serve, a failed demo, a failed start)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from qa_engine.workflows import local_server
from qa_engine.workflows.local_server_main import Engine

BIN = Path(sys.executable).parent
BROKEN_PREFECT_DB = "sqlite+aiosqlite:////proc/qa-engine-test-forbidden/prefect.db"


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _processes_naming(folder: Path) -> list[psutil.Process]:
    out = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if str(folder) in " ".join(proc.info["cmdline"] or []):
                out.append(proc)
        except psutil.Error:
            continue
    return out


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """One data folder for the module: its Prefect database is created by the first start only."""
    return tmp_path_factory.mktemp("local-prefect") / "data"


@pytest.fixture
def env(data_dir, monkeypatch) -> dict[str, str]:
    """The engine's environment, with no Prefect server given: the local one is used."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("QA_DATA_DIR", str(data_dir))
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
    from qa_engine.config import reset_settings
    from qa_engine.store.db import reset_engines

    reset_settings()
    reset_engines()
    yield {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    reset_engines()
    reset_settings()


def test_engine_is_idle_only_without_runs_and_live_holders():
    engine = Engine(data_dir=Path("."), idle_seconds=0, token="t")
    time.sleep(0.01)  # past an idle period of zero
    assert engine.idle()
    engine.touch(+1)
    assert not engine.idle()  # a run in progress
    engine.touch(-1)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        engine.holders.add(holder.pid)
        assert not engine.idle()  # a live holder (a web app) keeps it up
    finally:
        holder.communicate(b"")
    assert engine.idle()  # the holder is gone
    assert engine.holders == set()


def test_serve_takes_its_prefect_server_down_on_sigterm(env, data_dir):
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "qa-engine"), "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(
            lambda: proc.poll() is not None or _answers(f"http://127.0.0.1:{port}/healthz"),
            240,
            "the web app to answer",
        )
        assert proc.poll() is None, proc.stdout.read()
        info = local_server.running(data_dir)
        assert info is not None, "serve did not start the local Prefect server"
        family = psutil.Process(proc.pid).children(recursive=True)
        assert info.pid in {p.pid for p in family}
        assert len(family) >= 2  # the server process and Prefect's API under it
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in out and str(data_dir) in out and "database:" in out
    _, alive = psutil.wait_procs(family, timeout=30)
    assert not alive, f"left running after SIGTERM: {[p.pid for p in alive]}"
    assert local_server.read_state(data_dir) is None


def test_started_once_reused_runs_flows_then_stops_when_idle(env, data_dir):
    from qa_engine.workflows.kick import run_flow

    first = local_server.ensure_started(data_dir, startup_timeout=180, idle_minutes=0.05)
    again = local_server.ensure_started(data_dir, startup_timeout=180, idle_minutes=0.05)
    assert again.pid == first.pid  # the second command reuses it
    result = run_flow("sweep")  # a command's flow: run by the server, warm
    assert "summary" in result and isinstance(result["advanced"], dict)
    runs = httpx.post(f"{first.api_url}/flow_runs/filter", json={}, timeout=10).json()
    assert "sweep" in {r["name"] for r in runs}  # a real flow run, visible in Prefect
    stranger = httpx.get(f"{first.control_url}/health", headers={"X-QA-Token": "wrong"}, timeout=5)
    assert stranger.status_code == 403  # only commands that can read the data folder may ask
    # idle for its idle period (3 s here): it stops by itself, Prefect's API with it
    _wait_for(lambda: local_server.read_state(data_dir) is None, 120, "the idle server to stop")
    _wait_for(lambda: not _processes_naming(data_dir), 30, "the server's processes to end")
    assert local_server.stop(data_dir) is None  # nothing left to stop


def test_stop_ends_the_recorded_process_and_forgets_it(tmp_path):
    # the real server's answer to SIGTERM is covered by the serve test; here: what `stop` does
    folder = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    local_server.write_state(
        folder,
        local_server.ServerInfo(
            pid=proc.pid,
            api_url="http://127.0.0.1:9/api",
            control_url="http://127.0.0.1:9",
            token="t",
            fingerprint="f",
            data_dir=str(folder),
            started_at=time.time(),
        ),
    )
    assert (
        folder / "run" / local_server.STATE_FILE
    ).stat().st_mode & 0o077 == 0  # the token is private
    assert local_server.running(folder) is None  # it does not answer as a server: never used
    assert local_server.stop(folder) == proc.pid
    assert proc.wait(timeout=30) == -signal.SIGTERM
    assert local_server.read_state(folder) is None
    assert local_server.stop(folder) is None


def test_a_failed_start_says_why_and_leaves_nothing(tmp_path, monkeypatch, env):
    folder = tmp_path / "broken"
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", BROKEN_PREFECT_DB)
    with pytest.raises(local_server.LocalServerError) as failure:
        local_server.ensure_started(folder, startup_timeout=60, idle_minutes=1)
    assert "stopped while starting" in str(failure.value) and "prefect-server.log" in str(
        failure.value
    )
    _wait_for(lambda: not _processes_naming(folder), 30, "the failed server's processes to end")
    assert local_server.read_state(folder) is None


def test_a_failed_demo_leaves_no_process(tmp_path, env):
    folder = tmp_path / "demo"
    run = subprocess.run(
        [str(BIN / "qa-engine"), "demo", "--data-dir", str(folder), "--cases", "1"],
        env={**env, "PREFECT_API_DATABASE_CONNECTION_URL": BROKEN_PREFECT_DB},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "local Prefect server" in run.stderr and "Traceback" not in run.stderr + run.stdout
    _wait_for(lambda: not _processes_naming(folder), 30, "the demo's processes to end")


def test_read_only_commands_create_nothing(tmp_path, env, monkeypatch):
    from typer.testing import CliRunner

    from qa_engine.cli.main import app
    from qa_engine.config import reset_settings

    folder = tmp_path / "nothing-here"
    monkeypatch.setenv("QA_DATA_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "not-a-report.pdf"
    report.write_bytes(b"%PDF-1.7\n%%EOF\n")
    for args in (
        ["--help"],
        ["rubrics", "list"],
        ["rubrics", "validate"],
        ["workflow-check"],
        ["rubrics", "show", "4eu-mici"],
        ["rubrics", "coverage", "4eu-mici"],
        ["reports", "verify", str(report)],
        ["prefect", "status"],
    ):
        reset_settings()
        result = CliRunner().invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.output)
        assert not folder.exists(), f"qa-engine {' '.join(args)} created {folder}"
    # and as a separate process, as a person runs it
    verify = subprocess.run(
        [str(BIN / "qa-engine"), "reports", "verify", str(report)],
        env={**env, "QA_DATA_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert verify.returncode == 1 and "Traceback" not in verify.stderr
    assert "trust roots: none" in verify.stdout and "register: not checked" in verify.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-report.pdf"]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
