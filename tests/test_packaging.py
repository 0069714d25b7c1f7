"""The wheel works on its own: built from the checkout, installed into a fresh virtual environment
outside it, and run from an empty folder, `qa-engine` finds everything it reads at run time
(rubrics, workflow settings, report assets, migrations, samples) inside the installed package,
and writes only into its data folder.

Nothing is downloaded: the wheel is built with the running interpreter's setuptools when it meets
the build requirements (else with pip's build isolation), installed with `--no-deps --no-index`,
and the new environment sees the dependencies already installed here through a `.pth` file that
names this interpreter's site-packages (a plain path line: the `.pth` files there, among them the
editable install's finder of the checkout, are not run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import time
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ["esg-2015-part1", "eu-microcredentials-2022", "digital-green-skills", "4eu-mici"]
# not part of the checkout's own files (the brief of the check: nothing else may change)
SNAPSHOT_SKIP = {
    ".venv",
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".mypy_cache",
    ".import_linter_cache",
    "test-output",
}  # tools run beside the tests write their caches here; the browser tests their screenshots
# left out of the copy the wheel is built from (setuptools writes build/ and *.egg-info next to
# the sources it builds, so the build runs on a copy and the checkout stays untouched)
COPY_SKIP_TOP = {".venv", ".git", "build", "dist", "var", ".ruff_cache", "test-output"}
COPY_SKIP_ANY = {"__pycache__", ".pytest_cache", ".hypothesis"}
CASES = 3
TRANSLATED = ("fr", "de", "cs", "pl", "it", "da")  # the languages with a message catalog


# --- helpers -------------------------------------------------------------------------------------


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join((text or "").rstrip().splitlines()[-lines:])


def run(
    args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 180, what: str = ""
) -> subprocess.CompletedProcess:
    """Run a command; on a non-zero exit or a timeout fail with its stderr (and stdout) tail."""
    shown = " ".join(str(a) for a in args)
    started = time.monotonic()
    try:
        result = subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = (
            exc.stdout.decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else (exc.stdout or "")
        )
        err = (
            exc.stderr.decode(errors="replace")
            if isinstance(exc.stderr, bytes)
            else (exc.stderr or "")
        )
        pytest.fail(
            f"{what or shown}: no answer after {timeout:.0f} s\n$ {shown}\n"
            f"--- stderr (tail) ---\n{_tail(err)}\n--- stdout (tail) ---\n{_tail(out, 15)}",
            pytrace=False,
        )
    if result.returncode != 0:
        pytest.fail(
            f"{what or shown}: exit status {result.returncode} after "
            f"{time.monotonic() - started:.1f} s\n"
            f"$ {shown}\n(cwd {cwd})\n--- stderr (tail) ---\n{_tail(result.stderr)}\n"
            f"--- stdout (tail) ---\n{_tail(result.stdout, 15)}",
            pytrace=False,
        )
    return result


def checkout_snapshot() -> dict[str, tuple[int, int] | None]:
    """The checkout's files (mtime, size) and folders (None), without the skipped folders."""
    out: dict[str, tuple[int, int] | None] = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SNAPSHOT_SKIP]
        base = Path(dirpath)
        for d in dirnames:
            out[str((base / d).relative_to(ROOT)) + "/"] = None
        for f in filenames:
            if f in SNAPSHOT_SKIP:  # a worktree's .git is a file
                continue
            path = base / f
            st = path.lstat()
            out[str(path.relative_to(ROOT))] = (st.st_mtime_ns, st.st_size)
    return out


def snapshot_changes(before: dict, after: dict) -> list[str]:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return (
        [f"added {k}" for k in added]
        + [f"removed {k}" for k in removed]
        + [f"changed {k}" for k in changed]
    )


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def _copy_ignore(src: str, names: list[str]) -> set[str]:
    # compiled message catalogs too, as in a fresh clone: the build must compile them (setup.py)
    skip = {n for n in names if n in COPY_SKIP_ANY or n.endswith((".egg-info", ".mo"))}
    if Path(src).resolve() == ROOT:
        skip |= {n for n in names if n in COPY_SKIP_TOP}
    return skip


def build_requirements_met() -> tuple[bool, str]:
    """Whether this interpreter has what pyproject's [build-system] requires (then: no
    isolation)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        from packaging.requirements import Requirement
    except ImportError:
        return False, "`packaging` is not installed here"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for text in requires:
        req = Requirement(text)
        try:
            have = version(req.name)
        except PackageNotFoundError:
            return False, f"{req.name} is not installed here"
        if not req.specifier.contains(have, prereleases=True):
            return False, f"{req.name} {have} does not meet {text}"
    return True, "build requirements met by " + ", ".join(requires)


def build_wheel(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    """Build the checkout's wheel from a copy of it; the build mode chosen is returned too."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_copy_ignore)
    out = tmp_path / "wheelhouse"
    offline, why = build_requirements_met()
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, src]
    if offline:
        # measured here: ≈2 s, nothing downloaded (build isolation: ≈6 s and setuptools from the
        # index)
        cmd[4:4] = ["--no-build-isolation", "--no-index"]
    mode = (
        "no build isolation, offline" if offline else "build isolation (downloads setuptools)"
    ) + f": {why}"
    run(cmd, cwd=tmp_path, env=env, timeout=300, what=f"building the wheel ({mode})")
    wheels = sorted(out.glob("qa_engine-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {out}, found {[w.name for w in wheels]}"
    return wheels[0], mode


def dependency_dirs() -> list[str]:
    """The running interpreter's site-packages folders (where the dependencies are installed)."""
    dirs = [
        *site.getsitepackages(),
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    ]
    return [d for d in dict.fromkeys(os.path.realpath(d) for d in dirs) if os.path.isdir(d)]


def fresh_venv(where: Path, wheel: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """A new virtual environment with the wheel installed and this interpreter's dependencies
    visible."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(where)
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(
        run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=where,
            env=env,
            what="asking the new environment for its site-packages",
        ).stdout.strip()
    )
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "--no-cache-dir",
            wheel,
        ],
        cwd=where,
        env=env,
        timeout=180,
        what="installing the wheel into the new environment",
    )
    # Plain path lines: the folders join sys.path after the new site-packages; their own .pth files
    # (the editable install's finder of the checkout among them) are not processed.
    (purelib / "_qa_engine_test_dependencies.pth").write_text(
        "".join(f"{d}\n" for d in dependency_dirs())
    )
    return python, purelib


PROBE = """
import importlib.util, json, sys
import qa_engine
from qa_engine.adapters.translations import LOCALE_DIR, translations
finders = [type(f).__module__ + "." + type(f).__qualname__ for f in sys.meta_path]
print(json.dumps({
    "file": qa_engine.__file__,
    "workflows": importlib.util.find_spec("qa_engine.workflows").origin,
    "editable": [f for f in finders if "editable" in f.lower()],
    "sys_path": sys.path,
    "catalogs": sorted(str(p.relative_to(LOCALE_DIR)) for p in LOCALE_DIR.glob("*/*/*.mo")),
    "sign_in": {lang: translations(lang).gettext("Sign in") for lang in ("en", "fr", "cs")},
}))
"""


# --- the test ------------------------------------------------------------------------------------


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path, monkeypatch):
    before = checkout_snapshot()
    timings: list[str] = []
    clock = time.monotonic()

    def lap(what: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings.append(f"{what} {now - clock:.1f} s")
        clock = now

    tool_env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    tool_env |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}

    wheel, build_mode = build_wheel(tmp_path, tool_env)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = (
        [f"qa_engine/rubrics/{r}.yaml" for r in RUBRICS]
        + ["qa_engine/workflows/settings.yaml"]
        + [f"qa_engine/locale/{lang}/LC_MESSAGES/messages.mo" for lang in TRANSLATED]
    )
    assert not [n for n in shipped if n not in names], (
        f"the wheel lacks {[n for n in shipped if n not in names]}"
    )
    lap("build")

    python, purelib = fresh_venv(tmp_path / "venv", wheel, tool_env)
    qa = python.parent / ("qa-engine.exe" if os.name == "nt" else "qa-engine")
    assert qa.exists(), f"the wheel installed no `qa-engine` command in {python.parent}"
    lap("venv")

    work = tmp_path / "work"
    data = work / "data"
    work.mkdir()
    created_before = everything_under(work)
    assert created_before == []

    # a user's shell: no PYTHONPATH, no Prefect server or home given, the data folder in QA_DATA_DIR
    dev_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QA_", "PREFECT_"))
        and k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    env["PATH"] = os.pathsep.join(
        [str(python.parent)]
        + [p for p in env.get("PATH", "").split(os.pathsep) if p and p != dev_bin]
    )
    env |= {
        "QA_DATA_DIR": str(data),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "250",
    }  # wide enough that the rubrics table shows the ids unabridged

    probe = json.loads(
        run([python, "-c", PROBE], cwd=work, env=env, what="importing qa_engine").stdout
    )
    site_dir = os.path.realpath(purelib)
    for key in ("file", "workflows"):
        assert os.path.realpath(probe[key]).startswith(site_dir + os.sep), (
            f"qa_engine ({key}) comes from {probe[key]}, not from the new environment's "
            f"{site_dir}; sys.path: {probe['sys_path']}"
        )
    assert len(probe["catalogs"]) == len(TRANSLATED), probe["catalogs"]  # compiled, installed
    assert probe["sign_in"] == {"en": "Sign in", "fr": "Se connecter", "cs": "Přihlásit se"}
    assert probe["editable"] == [], (
        f"the checkout's editable finder is active in the new environment: {probe['editable']}"
    )

    out = run([qa, "init"], cwd=work, env=env, what="qa-engine init").stdout
    assert "institutions" in out, out
    lap("init")

    listed = run([qa, "rubrics", "list"], cwd=work, env=env, what="qa-engine rubrics list").stdout
    missing = [r for r in RUBRICS if not re.search(rf"(^|\W){re.escape(r)}(\W|$)", listed, re.M)]
    assert not missing, f"`rubrics list` does not show {missing}:\n{listed}"

    out = run(
        [qa, "rubrics", "validate"], cwd=work, env=env, what="qa-engine rubrics validate"
    ).stdout
    assert "4 rubric files valid" in out, out

    template = data / "credentials-template.xlsx"
    run(
        [qa, "credentials", "template", template],
        cwd=work,
        env=env,
        what="qa-engine credentials template",
    )
    assert template.is_file(), f"`credentials template` wrote no {template}"
    import openpyxl

    book = openpyxl.load_workbook(template)
    assert book.sheetnames, "the template workbook has no sheet"
    book.close()
    lap("rubrics and template")

    # the demo into an empty folder named by QA_DATA_DIR: everything it writes goes there
    demo = work / "demo-data"
    demo.mkdir()
    shown = run(
        [qa, "demo", "--cases", str(CASES)],
        cwd=work,
        env=env | {"QA_DATA_DIR": str(demo)},
        timeout=300,
        what="qa-engine demo",
    ).stdout
    assert f"data folder: {demo}" in shown, shown
    assert "qa-engine serve --data-dir demo-data" in shown, shown
    pdfs = sorted((demo / "reports").rglob("*.pdf"))
    assert pdfs, f"the demo wrote no PDF under {demo / 'reports'}"
    # the exports of its approved cases, beside their reports, one printed path a line
    exported = [
        work / line.strip()
        for line in shown.splitlines()
        if line.strip().startswith("demo-data/reports/")
        and line.strip().endswith((".json", ".jwt"))
    ]
    assert exported and all(p.is_file() for p in exported), shown
    lap("demo")

    # the demo's data folder holds the register and the development CA the report was signed under
    verified = run(
        [qa, "reports", "verify", pdfs[0]],
        cwd=work,
        env=env | {"QA_DATA_DIR": str(demo)},
        what=f"qa-engine reports verify {pdfs[0].name}",
    ).stdout
    assert re.search(r"^\s*Valid — issued by ", verified, re.M), (
        f"`reports verify` does not say valid:\n{verified}"
    )
    lap("verify")

    stray = [
        str(p.relative_to(work))
        for p in everything_under(work)
        if not any(p == d or d in p.parents for d in (data, demo))
    ]
    assert not stray, f"written outside the data folders {data} and {demo}: {stray}"
    signs_in_and_sees_the_cases(shown, demo, monkeypatch)
    changes = snapshot_changes(before, checkout_snapshot())
    assert not changes, f"the test wrote into the checkout {ROOT}: {changes[:20]}"
    print(f"packaging: {build_mode}; " + ", ".join(timings))


DEMO_ROLES = ("QA officer", "reviewer", "approver", "leadership", "admin", "provider")


def signs_in_and_sees_the_cases(shown: str, demo: Path, monkeypatch) -> None:
    """The accounts the demo printed sign in with the printed password, and each sees the demo's
    work."""
    from fastapi.testclient import TestClient

    from qa_engine.config import reset_settings
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import reset_engines, session_scope
    from tests.web.support import csrf_of

    accounts = dict(
        re.findall(r"[│|]\s*(" + "|".join(DEMO_ROLES) + r")\s*[│|]\s*(\S+)\s*[│|]", shown)
    )
    assert set(accounts) == set(DEMO_ROLES), f"the demo does not name an account per role:\n{shown}"
    password = re.search(r"shown this once\):\s*(\S+)", shown)
    assert password, f"the demo printed no password:\n{shown}"
    monkeypatch.setenv("QA_DATA_DIR", str(demo))
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
    reset_settings()
    reset_engines()
    try:
        with session_scope() as s:
            titles = [c.title for c, _ in repo.list_credentials(s)]
        from qa_engine.web.app import create_app

        app = create_app()
        where = {
            "QA officer": "/cases",
            "reviewer": "/cases",
            "approver": "/cases",
            "provider": "/cases",
            "leadership": "/dashboard",
            "admin": "/admin/users",
        }
        for role, username in accounts.items():
            client = TestClient(app)
            page = client.get("/sign-in")
            r = client.post(
                "/sign-in",
                data={
                    "username": username,
                    "password": password.group(1),
                    "csrf_token": csrf_of(page.text),
                },
                follow_redirects=False,
            )
            assert r.status_code == 303 and "/sign-in" not in r.headers["location"], (
                role,
                username,
                r.status_code,
            )
            seen = client.get(where[role])
            assert seen.status_code == 200, (role, where[role], seen.status_code)
            if role in ("QA officer", "approver", "reviewer", "provider"):
                assert any(t in seen.text for t in titles), (
                    f"{role} {username} sees none of the demo's cases"
                )
            elif role == "leadership":
                assert "Reviewer A" not in seen.text and "cases" in seen.text.lower()
            else:
                assert accounts["reviewer"] in seen.text  # the admin sees the demo's accounts
    finally:
        reset_engines()
        reset_settings()
