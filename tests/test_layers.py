"""The layering holds: the domain imports no ORM, web, orchestration, spreadsheet or PDF library;
adapters translate only (no store, service, entry point, ORM, web or orchestration import); services
import no adapter. The same rules as the import-linter contracts in pyproject.toml, read from the
source."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "sqlmodel",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "prefect",
    "openpyxl",
    "reportlab",
    "pyhanko",
}
ABOVE = {
    "qa_engine.store",
    "qa_engine.services",
    "qa_engine.web",
    "qa_engine.cli",
    "qa_engine.adapters",
    "qa_engine.workflows",
}
ADAPTER_FORBIDDEN = {"sqlmodel", "sqlalchemy", "fastapi", "starlette", "prefect"}
ADAPTER_ABOVE = {
    "qa_engine.store",
    "qa_engine.services",
    "qa_engine.web",
    "qa_engine.cli",
    "qa_engine.workflows",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize(
    "path", sorted((ROOT / "qa_engine" / "domain").rglob("*.py")), ids=lambda p: p.name
)
def test_domain_module_imports_nothing_above_it(path):
    for name in imported_modules(path):
        assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
        assert not any(name == a or name.startswith(a + ".") for a in ABOVE), (
            f"{path.name} imports {name}"
        )


def _within(name: str, packages: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in packages)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "qa_engine" / "adapters").rglob("*.py")), ids=lambda p: p.name
)
def test_adapter_module_translates_only(path):
    for name in imported_modules(path):
        assert name.split(".")[0] not in ADAPTER_FORBIDDEN, f"{path.name} imports {name}"
        assert not _within(name, ADAPTER_ABOVE), f"{path.name} imports {name}"


def test_services_import_no_adapter_or_entry_point():
    above = {"qa_engine.adapters", "qa_engine.web", "qa_engine.cli", "qa_engine.workflows"}
    for path in (ROOT / "qa_engine" / "services").rglob("*.py"):
        for name in imported_modules(path):
            assert not _within(name, above), f"{path.name} imports {name}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "qa_engine" / "web").rglob("*.py")), ids=lambda p: p.name
)
def test_web_module_reaches_the_store_only_through_the_unit_of_work(path):
    for name in imported_modules(path):
        assert not _within(name, {"qa_engine.store"}) or name == "qa_engine.store.db", (
            f"{path.name} imports {name}"
        )


def test_services_import_no_spreadsheet_pdf_or_web_library():
    for path in (ROOT / "qa_engine" / "services").rglob("*.py"):
        for name in imported_modules(path):
            assert name.split(".")[0] not in {
                "openpyxl",
                "reportlab",
                "fastapi",
                "starlette",
                "prefect",
            }, f"{path.name} imports {name}"


def test_import_linter_contracts():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
