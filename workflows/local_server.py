"""The local Prefect server of a data folder, as its clients see it.

In embedded mode no Prefect server is installed: the first command that needs one starts a local
server for its data folder (a background process, ``qa-engine prefect start``), and every later
command, the web app and the demo reuse it. The process hosts Prefect's API (its database lives in
``$QA_DATA_DIR/prefect``) and runs the flows that commands ask for, warm, so a human action through
the command line costs one short request instead of booting Prefect. It records its pid, its ports
and a secret in ``$QA_DATA_DIR/run/prefect-server.json``, and stops after an idle period (no
request and no live holder such as ``serve``) or with ``qa-engine prefect stop``.

This module imports neither Prefect nor the flows: a command that only asks for a run stays fast.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_engine.domain.errors import QAError

STATE_FILE = "prefect-server.json"
LOCK_FILE = "prefect-server.lock"
LOG_FILE = "prefect-server.log"

# QA_* variables that do not change what a flow does: they do not make a server a different one
_NOT_CONFIG = {
    "QA_ACTOR",
    "QA_DEBUG",
    "QA_VERBOSE",
    "QA_PREFECT_STARTUP_TIMEOUT",
    "QA_PREFECT_IDLE_MINUTES",
    "QA_DATA_DIR",
}


class LocalServerError(QAError):
    """The local Prefect server could not be started or reached; the message says why."""

    status = 503
    code = "orchestration_unavailable"


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    api_url: str
    control_url: str
    token: str
    fingerprint: str
    data_dir: str
    started_at: float

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")


def run_dir(data_dir: Path) -> Path:
    return data_dir / "run"


def log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / LOG_FILE


def config_fingerprint(data_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """What makes two commands want the same server: the data folder and their other QA_*
    settings."""
    env = os.environ if env is None else env
    items = sorted((k, v) for k, v in env.items() if k.startswith("QA_") and k not in _NOT_CONFIG)
    return hashlib.sha256(json.dumps([str(data_dir.resolve()), items]).encode()).hexdigest()[:16]


def read_state(data_dir: Path) -> ServerInfo | None:
    try:
        raw = json.loads((run_dir(data_dir) / STATE_FILE).read_text(encoding="utf-8"))
        return ServerInfo(**raw)
    except (OSError, ValueError, TypeError):
        return None


def write_state(data_dir: Path, info: ServerInfo) -> None:
    folder = run_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{STATE_FILE}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the token is a secret
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info.__dict__, fh)
    os.replace(tmp, folder / STATE_FILE)


def clear_state(data_dir: Path, pid: int) -> None:
    info = read_state(data_dir)
    if info is not None and info.pid == pid:
        with contextlib.suppress(OSError):
            (run_dir(data_dir) / STATE_FILE).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by its parent) is not alive
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _request(
    info: ServerInfo,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    timeout: float | None = 5.0,
) -> dict[str, Any]:
    import httpx

    headers = {"X-QA-Token": info.token}
    with httpx.Client(timeout=timeout) as client:
        response = client.request(method, info.control_url + path, json=body, headers=headers)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()  # the control server answers with a JSON object
    return answer


def healthy(info: ServerInfo | None) -> bool:
    if info is None or not _alive(info.pid):
        return False
    try:
        return bool(_request(info, "GET", "/health", timeout=3.0).get("ok"))
    except Exception:  # noqa: BLE001 - any failure means "not usable now"
        return False


@contextlib.contextmanager
def _start_lock(data_dir: Path) -> Iterator[None]:
    """One starter at a time per data folder (two commands at once share one server)."""
    folder = run_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def running(data_dir: Path) -> ServerInfo | None:
    """The data folder's server if one answers, else None (never starts one)."""
    info = read_state(data_dir)
    return info if healthy(info) else None


def ensure_started(
    data_dir: Path, *, startup_timeout: float, idle_minutes: float, on_start: Any = None
) -> ServerInfo:
    """The data folder's server, started if none answers; waits until it answers or fails."""
    data_dir = data_dir.resolve()
    info = running(data_dir)
    if info is not None:
        return info
    with _start_lock(data_dir):
        info = running(data_dir)  # another command may have started it while we waited
        if info is not None:
            return info
        if on_start is not None:
            on_start()
        return _spawn(data_dir, startup_timeout=startup_timeout, idle_minutes=idle_minutes)


def _spawn(data_dir: Path, *, startup_timeout: float, idle_minutes: float) -> ServerInfo:
    log = log_path(data_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QA_DATA_DIR": str(data_dir)}
    args = [
        sys.executable,
        "-m",
        "qa_engine.workflows.local_server_main",
        "--data-dir",
        str(data_dir),
        "--idle-minutes",
        str(idle_minutes),
        "--startup-timeout",
        str(startup_timeout),
        "--fingerprint",
        config_fingerprint(data_dir, env),
    ]
    with open(log, "ab") as out:
        # a session of its own: a Ctrl-C in the terminal of the command that started it does not
        # stop it
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + startup_timeout + 15
    delay = 0.05
    try:
        while True:
            code = proc.poll()
            if code is not None:
                raise LocalServerError(
                    f"the local Prefect server stopped while starting (exit status {code}); "
                    f"see {log}:\n{_tail(log)}"
                )
            info = read_state(data_dir)
            if info is not None and info.pid == proc.pid and healthy(info):
                return info
            if time.monotonic() > deadline:
                raise LocalServerError(
                    f"the local Prefect server did not answer within {startup_timeout:.0f} s "
                    f"(QA_PREFECT_STARTUP_TIMEOUT); see {log}"
                )
            # waiting for another process to come up: poll its state with a short, growing interval
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)
    except BaseException:
        # a failed or interrupted start leaves nothing behind
        _terminate(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        clear_state(data_dir, proc.pid)
        raise


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def stop(data_dir: Path, *, timeout: float = 30.0) -> int | None:
    """Stop the data folder's server; the pid that was stopped, or None when none ran."""
    data_dir = data_dir.resolve()
    info = read_state(data_dir)
    if info is None or not _alive(info.pid):
        if info is not None:
            clear_state(data_dir, info.pid)
        return None
    _terminate(info.pid)
    deadline = time.monotonic() + timeout
    delay = 0.05
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    if _alive(info.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGKILL)
    clear_state(data_dir, info.pid)
    return info.pid


def run_flow(info: ServerInfo, flow: str, **params: Any) -> Any:
    """Run one of the engine's flows in the server's process and return its result.

    Raises LocalServerError when the server cannot be reached or the run failed."""
    try:
        answer = _request(info, "POST", "/run", {"flow": flow, "params": params}, timeout=None)
    except Exception as exc:  # noqa: BLE001
        raise LocalServerError(
            f"the local Prefect server did not run {flow}: {type(exc).__name__}"
        ) from exc
    if not answer.get("ok"):
        raise LocalServerError(answer.get("error") or f"the flow run {flow} failed")
    return answer.get("result")


def hold(info: ServerInfo, pid: int) -> None:
    """Keep the server up while process `pid` lives (a web app, a worker), whatever the idle
    period."""
    _request(info, "POST", "/hold", {"pid": pid})


def new_token() -> str:
    return secrets.token_urlsafe(24)
