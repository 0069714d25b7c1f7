"""The layering holds: the domain imports no ORM, web, orchestration, spreadsheet or PDF library."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"sqlmodel", "sqlalchemy", "fastapi", "starlette", "prefect", "openpyxl", "reportlab", "pyhanko"}
ABOVE = {"qa_engine.store", "qa_engine.services", "qa_engine.web", "qa_engine.cli", "qa_engine.adapters", "qa_engine.workflows"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "qa_engine" / "domain").rglob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_nothing_above_it(path):
    for name in imported_modules(path):
        assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
        assert not any(name == a or name.startswith(a + ".") for a in ABOVE), f"{path.name} imports {name}"


def test_services_import_no_spreadsheet_pdf_or_web_library():
    for path in (ROOT / "qa_engine" / "services").rglob("*.py"):
        for name in imported_modules(path):
            assert name.split(".")[0] not in {"openpyxl", "reportlab", "fastapi", "starlette", "prefect"}, f"{path.name} imports {name}"


def test_import_linter_contracts():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
