"""A private, throwaway PostgreSQL server for tests that must restart or crash the database.

The shared cluster on 127.0.0.1:5432 is used by other tests and other people and must never be
restarted; this one lives in a temporary folder, listens on a free loopback port (its unix socket
stays in the folder), and is stopped and removed at teardown. Without PostgreSQL's server binaries
(`/usr/lib/postgresql/*/bin`), or when the server cannot start, the tests that need it are skipped.

The multi-machine tests start one inside a network namespace (`start_private_pg(netns=…,
listen=…)`): the server host's database, reached by the other hosts over the namespaces' network
and by the test itself through the unix socket in the folder (sockets in the file system are not
bound to a network namespace).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_USER = (
    "postgres"  # the OS user that runs the server when the tests run as root (initdb refuses root)
)
DB_NAME = "qa_private"


def find_pg_bin() -> Path | None:
    """The bin folder of the highest PostgreSQL version installed, or None."""
    found = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            m = re.match(r"(\d+)(?:\.(\d+))?", bindir.parent.name)
            if m:
                found.append(((int(m.group(1)), int(m.group(2) or 0)), bindir))
    return max(found)[1] if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PrivatePostgres:
    bindir: Path
    root: Path  # the temporary folder: data/, the socket and the log
    port: int
    as_user: str | None  # run the binaries as this OS user (when we are root)
    netns: str | None = None  # run the binaries in this network namespace
    listen: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = DB_NAME, *, driver: str = "psycopg") -> str:
        """Over TCP, at the listen address (inside the namespace, for a server in one)."""
        return f"postgresql+{driver}://{PG_USER}@{self.listen}:{self.port}/{database}"

    def socket_url(self, database: str = DB_NAME) -> str:
        """Through the unix socket in the server's folder: from any network namespace."""
        return f"postgresql+psycopg://{PG_USER}@/{database}?host={self.root}&port={self.port}"

    def connect(self, database: str = "postgres"):  # noqa: ANN201 - a psycopg connection
        """An autocommit connection through the unix socket."""
        import psycopg

        return psycopg.connect(
            host=str(self.root),
            port=self.port,
            user=PG_USER,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        )

    def run(self, tool: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / tool), *args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        # the postmaster inherits pg_ctl's stdout unless -l is given: never hand it a pipe we wait
        # on
        return subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )

    def pg_ctl(self, action: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return self.run(
            "pg_ctl",
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(int(timeout)),
            *args,
            timeout=timeout + 15,
        )

    def postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid (the running server's), or None when there is none."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def restart(self, mode: str = "immediate") -> None:
        """Restart the server; `immediate` kills it without a checkpoint (a crash, WAL recovery on
        start)."""
        res = self.pg_ctl("restart", "-m", mode)
        if res.returncode != 0:
            raise RuntimeError(
                f"pg_ctl restart failed: {res.stdout}{res.stderr}\n{self.log_tail()}"
            )

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.postmaster_pid() is None:
            return
        res = self.pg_ctl("stop", "-m", "immediate", timeout=30)
        pid = self.postmaster_pid()
        if res.returncode != 0 and pid is not None:
            try:  # only the postmaster this fixture started (its pid file is in our folder)
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def _start(
    bindir: Path, *, netns: str | None = None, listen: str = "127.0.0.1", port: int = 0
) -> PrivatePostgres:
    """Make and start the server (`port` 0: a free loopback port); skip the test when it cannot
    start."""
    as_user = None
    root = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam(PG_USER)
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip(f"running as root and there is no {PG_USER!r} OS user to run PostgreSQL")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = PG_USER
    server = PrivatePostgres(
        bindir=bindir, root=root, port=0, as_user=as_user, netns=netns, listen=listen
    )
    try:
        res = server.run(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            PG_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        if res.returncode != 0:
            raise RuntimeError(f"initdb failed: {res.stdout}{res.stderr}")
        if listen != "127.0.0.1":  # the other hosts of its network may connect (trust)
            with (server.data / "pg_hba.conf").open("a") as f:
                f.write("host all all samenet trust\n")
        last = ""
        for _ in range(3):  # a free port may be taken between choosing and binding it: try another
            server.port = port or _free_port()
            conf = server.data / "postgresql.auto.conf"
            with conf.open("a") as f:  # written as root, read by the postgres user (0644)
                f.write(
                    f"listen_addresses = '{listen}'\nport = {server.port}\n"
                    f"unix_socket_directories = '{root}'\nfsync = off\nfull_page_writes = off\n"
                    "shared_buffers = 16MB\nmax_connections = 100\n"
                )
            res = server.pg_ctl("start", timeout=60)
            if res.returncode == 0:
                break
            last = f"{res.stdout}{res.stderr}\n{server.log_tail()}"
        else:
            raise RuntimeError(f"pg_ctl start failed: {last}")
        with server.connect() as conn:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        return server
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, clean up and skip with the reason
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start a private PostgreSQL server with {bindir}: {exc}")


@contextmanager
def start_private_pg(
    *, netns: str | None = None, listen: str = "127.0.0.1", port: int = 0
) -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of our own (in the network namespace `netns`, listening on `listen`),
    stopped and removed on the way out; skips the test where one cannot be started."""
    bindir = find_pg_bin()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot run initdb as the postgres user")
    t0 = time.monotonic()
    server = _start(bindir, netns=netns, listen=listen, port=port)
    print(
        f"private PostgreSQL ({bindir.parent.name}) on port {server.port}, up in "
        f"{time.monotonic() - t0:.1f} s"
    )
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="module", name="private_pg")
def private_pg_fixture() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of our own, which a test may restart or crash at will."""
    with start_private_pg() as server:
        yield server
