"""The local Prefect server process of a data folder (see `local_server`): Prefect's API in a child
process, and the engine's flows run here, warm, when a command asks for them.

Started by `local_server.ensure_started`; run by hand with
``python -m qa_engine.workflows.local_server_main --data-dir DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from qa_engine.workflows import local_server as ls

PR_SET_PDEATHSIG = 1
PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM when this process's parent dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {message}", flush=True)


class PrefectApi:
    """Prefect's API server (uvicorn) as a child that dies with this process."""

    def __init__(self, *, ui: bool) -> None:
        self.ui = ui
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _launch(self) -> None:
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:
            raise ls.LocalServerError("Prefect is not installed")
        app_dir = str(Path(next(iter(spec.submodule_search_locations))).parent)
        self.port = _free_port()
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "1" if self.ui else "0",
            "PREFECT__SERVER_FINAL": "1",
        }
        env.pop("PREFECT_API_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                app_dir,
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )  # noqa: PLW1509

    def start(self, timeout: float, stopping: threading.Event) -> None:
        import httpx

        self._launch()
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while self.proc is not None:
                code = self.proc.poll()
                if code == PORT_IN_USE and not _port_free(self.port):
                    self._launch()  # another process took the port between the probe and the bind
                    continue
                if code is not None:
                    raise ls.LocalServerError(f"Prefect's API server exited with status {code}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/health").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise ls.LocalServerError(
                        f"Prefect's API server did not answer within {timeout:.0f} s"
                    )
                if stopping.wait(0.2):  # a stop asked for while starting ends the start
                    raise ls.LocalServerError("stopped while starting")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _flows() -> dict[str, Any]:
    from qa_engine.workflows.flows import BY_NAME

    return dict(BY_NAME)


class Engine:
    def __init__(self, *, data_dir: Path, idle_seconds: float, token: str) -> None:
        self.data_dir = data_dir
        self.idle_seconds = idle_seconds
        self.token = token
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.last_activity = time.monotonic()
        self.holders: set[int] = set()
        self.flows: dict[str, Any] = {}

    def touch(self, delta: int = 0) -> None:
        with self.lock:
            self.active += delta
            self.last_activity = time.monotonic()

    def idle(self) -> bool:
        with self.lock:
            self.holders = {pid for pid in self.holders if ls._alive(pid)}
            return (
                self.active == 0
                and not self.holders
                and time.monotonic() - self.last_activity > self.idle_seconds
            )

    def run(self, name: str, params: dict[str, Any]) -> Any:
        flow = self.flows.get(name)
        if flow is None:
            raise ls.LocalServerError(f"unknown flow {name!r}")
        return asyncio.run(flow(**params))


def _handler(engine: Engine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if secrets.compare_digest(self.headers.get("X-QA-Token", ""), engine.token):
                return True
            self._answer(403, {"ok": False, "error": "forbidden"})
            return False

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            data = json.loads(raw or b"{}")
            return data if isinstance(data, dict) else {}

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if not self._authorised():
                return
            if self.path == "/health":
                with engine.lock:
                    active, holders = engine.active, sorted(engine.holders)
                self._answer(
                    200, {"ok": True, "pid": os.getpid(), "active": active, "holders": holders}
                )
            else:
                self._answer(404, {"ok": False, "error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            if not self._authorised():
                return
            body = self._body()
            if self.path == "/run":
                engine.touch(+1)
                try:
                    result = engine.run(str(body.get("flow")), dict(body.get("params") or {}))
                except Exception as exc:  # noqa: BLE001 - the caller decides; the server goes on
                    from qa_engine.domain.errors import QAError

                    message = (
                        exc.message if isinstance(exc, QAError) else f"{type(exc).__name__}: {exc}"
                    )
                    _log(f"flow {body.get('flow')} failed: {message}")
                    self._answer(200, {"ok": False, "error": message})
                else:
                    self._answer(200, {"ok": True, "result": result})
                finally:
                    engine.touch(-1)
            elif self.path == "/hold":
                with engine.lock:
                    engine.holders.add(int(body.get("pid", 0)))
                engine.touch()
                self._answer(200, {"ok": True})
            elif self.path == "/stop":
                self._answer(200, {"ok": True})
                engine.stopping.set()
            else:
                self._answer(404, {"ok": False, "error": "not found"})

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--idle-minutes", type=float, default=15.0)
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    parser.add_argument("--fingerprint", default="")
    parser.add_argument("--no-ui", action="store_true")
    args = parser.parse_args(argv)

    data_dir = args.data_dir.resolve()
    home = data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["QA_DATA_DIR"] = str(data_dir)
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")

    engine = Engine(data_dir=data_dir, idle_seconds=args.idle_minutes * 60, token=ls.new_token())
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: engine.stopping.set())

    api = PrefectApi(
        ui=not args.no_ui
        and os.environ.get("QA_PREFECT_UI", "true").lower() not in {"0", "false", "no"}
    )
    control: ThreadingHTTPServer | None = None
    try:
        _log(f"starting Prefect's API for {data_dir}")
        api.start(args.startup_timeout, engine.stopping)
        os.environ["PREFECT_API_URL"] = api.url
        engine.flows = _flows()  # imports Prefect now, pointed at our API
        control = ThreadingHTTPServer(("127.0.0.1", 0), _handler(engine))
        control.daemon_threads = True
        threading.Thread(target=control.serve_forever, name="control", daemon=True).start()
        info = ls.ServerInfo(
            pid=os.getpid(),
            api_url=api.url,
            control_url=f"http://127.0.0.1:{control.server_address[1]}",
            token=engine.token,
            fingerprint=args.fingerprint,
            data_dir=str(data_dir),
            started_at=time.time(),
        )
        ls.write_state(data_dir, info)
        _log(f"ready: Prefect API {api.url}, idle stop after {args.idle_minutes:g} min")
        engine.touch()
        # a periodic check, not a wait for a result: idle time is measured, a stop request ends it
        # at once
        while not engine.stopping.wait(1.0):
            if engine.idle():
                _log("idle: stopping")
                break
        return 0
    except ls.LocalServerError as exc:
        _log(f"could not start: {exc}")
        return 1
    finally:
        ls.clear_state(data_dir, os.getpid())
        if control is not None:
            control.shutdown()
            control.server_close()
        api.stop()
        _log("stopped")


if __name__ == "__main__":
    raise SystemExit(main())
