"""``qa-engine demo``: the engine end to end on the sample credentials."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from rich.table import Table

from qa_engine.cli.common import console
from qa_engine.config import PACKAGE_DIR

SAMPLES = PACKAGE_DIR / "samples" / "credentials.json"
DEMO_RUBRIC = "4eu-mici"


def run_demo(data_dir: Path | None) -> None:
    from qa_engine.cli.main import _use_data_dir

    target = (data_dir or Path("var") / "demo").resolve()
    if target.exists():
        shutil.rmtree(target)
    _use_data_dir(target)

    from qa_engine.adapters.credential_io import read_json
    from qa_engine.domain.credential import element_report
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.domain.scoring import element_scores, score
    from qa_engine.services import credentials as credential_service
    from qa_engine.services import rubrics as rubric_service
    from qa_engine.services.setup import initialise
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import session_scope

    console.rule("[bold]qa-engine demo")
    for line in initialise():
        console.print(line)
    rubric = rubric_service.load(DEMO_RUBRIC)
    with session_scope() as session:
        snap = rubric_service.snapshot(session=session, rubric=rubric)
        console.print(f"rubric {rubric.id} {rubric.version}: {len(rubric.criteria)} criteria, hash {snap.content_hash[:12]}…")
        known = set(repo.institution_codes(session))
    items = read_json(SAMPLES, max_bytes=5_000_000, known_providers=known)
    with session_scope() as session:
        summary = credential_service.import_credentials(session=session, actor=SYSTEM, items=items, source=SAMPLES.name)
    console.print(f"imported {summary.total} sample credentials from {len({c.provider for c in items})} institutions")

    rng = random.Random(4)
    table = Table(title=f"Scored against {rubric.id} {rubric.version} (simulated self-assessments)")
    for col in ("credential", "provider", "elements", "overall", "gates failed", "recommended"):
        table.add_column(col)
    for cred in items:
        elements = [el for rc in rubric.criteria for el in rc.criterion.elements]
        present = element_report(cred, elements)
        scores: dict[str, int | bool] = dict(element_scores(rubric, present))
        bias = rng.choice([3, 3, 2, 4, 1])
        for rc in rubric.reviewer_criteria:
            lo, hi = rubric.score_range(rc.criterion)
            if rc.criterion.kind == "scale":
                scores[rc.id] = max(lo, min(hi, bias + rng.choice([-1, 0, 0, 1])))
            elif rc.criterion.kind == "yes_no":
                scores[rc.id] = rng.random() < 0.7
        result = score(rubric, scores)
        table.add_row(cred.title, cred.provider, f"{sum(present.values())}/{len(present)}",
                      f"{result.overall:.2f}", ", ".join(result.gates_failed) or "-",
                      result.recommended_outcome.value if result.recommended_outcome else "-")
    console.print(table)
    console.print(f"data folder: {target}")
