"""Hosts on a network of their own, for the multi-machine tests: one network namespace per host,
each with one interface (`eth0`) cabled by a veth pair to a port of a bridge that lives in a switch
namespace. Nothing is added to the machine's own network namespace.

A link is cut at the switch (`ip link set PORT down` in the switch's namespace): the host keeps its
address and its local traffic, and loses the network, like a pulled cable. Processes run on a host
with `ip netns exec NS …`; the lab ends every one of them before it removes its namespaces (which
takes the veths with them).

Namespaces are named `qamm<pid>-<host>` after the test process that made them; a lab removes any
left by a test process that no longer runs (one killed with SIGKILL)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PREFIX = "qamm"
SUBNET = "10.77.0"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip() or r.returncode}")
    return r


def unavailable() -> str | None:
    """Why this machine cannot make a lab (None when it can)."""
    if os.geteuid() != 0:
        return "network namespaces and veth pairs need root"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return f"cannot make a network namespace: {r.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def remove_stale() -> list[str]:
    """Remove the namespaces of labs whose test process is gone; their names."""
    out = _ip("netns", "list", check=False).stdout
    removed = []
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(rf"^{PREFIX}(\d+)-", name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
            continue  # its test process still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _ip("netns", "del", name, check=False)
        removed.append(name)
    return removed


@dataclass
class Host:
    name: str
    ns: str
    ip: str
    port: str  # its port on the switch: an interface of the switch's namespace


@dataclass
class Lab:
    logs: Path
    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}")
    hosts: dict[str, Host] = field(default_factory=dict)
    procs: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    _made: list[str] = field(default_factory=list)
    _files: list[IO[str]] = field(default_factory=list)

    @property
    def switch(self) -> str:
        return f"{self.tag}-sw"

    def start(self) -> None:
        remove_stale()
        self._netns_add(self.switch)
        _ip("-n", self.switch, "link", "set", "lo", "up")
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")

    def _netns_add(self, ns: str) -> None:
        _ip("netns", "add", ns)
        self._made.append(ns)

    def add_host(self, name: str, octet: int) -> Host:
        host = Host(name=name, ns=f"{self.tag}-{name}", ip=f"{SUBNET}.{octet}", port=f"p-{name}")
        self._netns_add(host.ns)
        _ip(
            "link", "add", "eth0", "netns", host.ns, "type", "veth",
            "peer", "name", host.port, "netns", self.switch,
        )  # fmt: skip
        _ip("-n", self.switch, "link", "set", host.port, "master", "br0")
        _ip("-n", self.switch, "link", "set", host.port, "up")
        _ip("-n", host.ns, "addr", "add", f"{host.ip}/24", "dev", "eth0")
        _ip("-n", host.ns, "link", "set", "eth0", "up")
        _ip("-n", host.ns, "link", "set", "lo", "up")
        self.hosts[name] = host
        return host

    # -- the faults ----------------------------------------------------------------------------

    def cut(self, name: str) -> None:
        """Pull the host's cable at the switch."""
        _ip("-n", self.switch, "link", "set", self.hosts[name].port, "down")

    def restore(self, name: str) -> None:
        _ip("-n", self.switch, "link", "set", self.hosts[name].port, "up")

    def link_up(self, name: str) -> bool:
        out = _ip("-n", self.switch, "link", "show", self.hosts[name].port).stdout
        return ",UP" in out or "<UP" in out

    # -- processes on the hosts ----------------------------------------------------------------

    def cmd(self, name: str, args: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.hosts[name].ns, *map(str, args)]

    def popen(
        self, name: str, args: Sequence[str], *, env: Mapping[str, str], log: str, cwd: Path
    ) -> subprocess.Popen:
        """Start a long-running process on the host (its output in `logs/<log>.log`); ended by
        `stop` or `close`."""
        out = open(self.logs / f"{log}.log", "a")  # noqa: SIM115 - closed by close()
        self._files.append(out)
        proc = subprocess.Popen(
            self.cmd(name, args), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        self.procs.append((log, proc))
        return proc

    def run(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.cmd(name, args),
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self, proc: subprocess.Popen, timeout: float = 60) -> None:
        """End a process and everything it started (SIGTERM, then SIGKILL)."""
        with signals_deferred():
            _end_tree(proc, timeout)
            self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def close(self) -> None:
        """End every process, then remove every namespace (and with them the veths and the
        bridge). Safe to call twice; a Ctrl-C or SIGTERM meanwhile waits until it is done."""
        with signals_deferred():
            procs, self.procs = self.procs, []
            for _, proc in reversed(procs):
                with contextlib.suppress(Exception):
                    _end_tree(proc, 30)
            for f in self._files:
                f.close()
            self._files.clear()
            for ns in reversed(self._made):
                _ip("netns", "del", ns, check=False)
            self._made.clear()

    def namespaces(self) -> list[str]:
        """The namespaces of this lab that exist now."""
        out = _ip("netns", "list", check=False).stdout
        return [ln.split()[0] for ln in out.splitlines() if ln.startswith(f"{self.tag}-")]


def _end_tree(proc: subprocess.Popen, timeout: float) -> None:
    import psutil

    try:
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.Error:
        tree = []
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)
    _, alive = psutil.wait_procs(tree, timeout=timeout)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=30)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside: SIGTERM raises KeyboardInterrupt in the main thread, so that the lab's
    clean-up (a `finally` or a fixture's teardown) runs as it does for Ctrl-C."""

    def _raise(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """A clean-up that a second Ctrl-C or SIGTERM must not cut short: the signal is noted while
    inside, and raised as KeyboardInterrupt once the clean-up is done."""
    got: list[int] = []

    def _note(signum: int, _frame: object) -> None:
        got.append(signum)

    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, _note) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if got:
        raise KeyboardInterrupt(f"signal {got[0]} (after the clean-up)")
