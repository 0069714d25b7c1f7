"""Benchmark: time per signed evaluation report, next to the bare cost of rendering and signing the
same content with reportlab and pyHanko alone, in the same run.

    python -m bench.reports [--reports 20]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synthetic_report(seed: int = 1):
    from qa_engine.domain.report import (
        REPORT_TEMPLATE_VERSION,
        EvaluationReport,
        ReportCredential,
        ReportCriterion,
        ReportEvent,
        ReportStandardRow,
    )
    from qa_engine.domain.rubric_loader import load_library
    from qa_engine.domain.standards import ESG, EU_PRINCIPLES

    rng = random.Random(seed)
    rubric = load_library([ROOT / "rubrics"]).get("4eu-mici")
    labels = ["Reviewer A", "Reviewer B", "Reviewer C"]
    criteria = []
    for rc in rubric.criteria:
        c = rc.criterion
        scale = rubric.scale_of(c)
        desc = [(lv.value, lv.label, lv.descriptor) for lv in scale.levels] if scale else []
        scores = (
            [
                (
                    lab,
                    rng.randint(1, 4),
                    f"{c.title}: evidence weighed — Žluťoučký kůň, Søren, Łódź. " * 3,
                )
                for lab in labels
            ]
            if c.kind == "scale"
            else []
        )
        values = [s for _, s, _ in scores]
        criteria.append(
            ReportCriterion(
                id=rc.id,
                title=c.title,
                kind=c.kind,
                maps_to=list(c.maps_to),
                descriptors=desc,
                self_score=3 if scores else None,
                self_narrative=(
                    "We address this through the course design and the published assessment rubric."
                ),
                scores=scores,
                mean=statistics.fmean(values) if values else None,
                median=statistics.median(values) if values else None,
                spread=(max(values) - min(values)) if values else None,
                effective_weight=rc.effective_weight,
            )
        )
    t0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    return EvaluationReport(
        report_id="QA-2026-000001-R1",
        template_version=REPORT_TEMPLATE_VERSION,
        generated_at=t0 + timedelta(days=40),
        case_id=1,
        round=1,
        credential=ReportCredential(
            reference="CUNI-MC-1",
            provider="CUNI",
            provider_name="Charles University",
            title="Carbon accounting for small firms",
            elements=[("EU-A1.2", "Title", "Carbon accounting")],
            learning_outcomes=["Compute a footprint", "Explain the GHG protocol"],
            ects="5.0",
            eqf_level=6,
            isced_f="0521",
            languages=["en", "cs"],
            skills=["GreenComp-2.1"],
        ),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_hash=rubric.content_hash,
        self_assessment_summary="A summary of the self-assessment.",
        criteria=criteria,
        overall=0.72,
        agreement=0.61,
        agreement_label="low agreement",
        gates_failed=[],
        recommended_outcome="approved_with_conditions",
        decision_outcome="approved_with_conditions",
        decision_rationale="Sound design.",
        conditions=["Publish the rubric"],
        decided_by_label="Approver",
        decided_at=t0 + timedelta(days=39),
        valid_until=None,
        esg_rows=[ReportStandardRow(k, v, 0.7, []) for k, v in ESG.items()],
        eu_rows=[ReportStandardRow(k, v, 0.7, []) for k, v in EU_PRINCIPLES.items()],
        history=[ReportEvent(t0 + timedelta(days=i), "Engine", "step", "") for i in range(12)],
        verify_url="https://qa.example/verify",
    )


def bare_render(report, font_dir: Path) -> bytes:
    """The same words, through reportlab with no styling, header, chart or QR code."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    if "BareDejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("BareDejaVu", str(font_dir / "DejaVuSans.ttf")))
    style = getSampleStyleSheet()["BodyText"]
    style.fontName = "BareDejaVu"
    story = [Paragraph(report.credential.title, style)]
    rows = []
    for eid, title, value in report.credential.elements:
        rows.append([Paragraph(eid, style), Paragraph(f"{title}: {value}", style)])
    for c in report.criteria:
        rows.append(
            [Paragraph(c.id, style), Paragraph(f"{c.title} ({', '.join(c.maps_to)})", style)]
        )
        rows.append(
            [
                Paragraph("scale", style),
                Paragraph("; ".join(f"{v} {lab}: {d}" for v, lab, d in c.descriptors), style),
            ]
        )
        rows.append([Paragraph(f"self: {c.self_score}", style), Paragraph(c.self_narrative, style)])
        for label, score, comment in c.scores:
            rows.append([Paragraph(f"{label}: {score}", style), Paragraph(comment, style)])
        rows.append(
            [Paragraph("mean", style), Paragraph(f"{c.mean} / {c.median} / {c.spread}", style)]
        )
    for row in report.esg_rows + report.eu_rows:
        rows.append(
            [Paragraph(row.reference, style), Paragraph(f"{row.title}: {row.score}", style)]
        )
    for ev in report.history:
        rows.append(
            [
                Paragraph(ev.at.isoformat(), style),
                Paragraph(f"{ev.actor_label} {ev.action} {ev.detail}", style),
            ]
        )
    story.append(Table(rows, colWidths=[120, 360]))
    story.append(Paragraph(report.decision_outcome + ": " + report.decision_rationale, style))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def bare_sign(pdf: bytes, key: Path, cert: Path, ca: Path) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=(str(ca),))
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(
            field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
        ),
        signer=signer,
    )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=20)
    args = parser.parse_args()
    from qa_engine.adapters.dev_pki import create_dev_pki
    from qa_engine.adapters.pdf_report import render_report
    from qa_engine.adapters.signing import sign_pdf, verify_pdf

    reports_dir = ROOT / "reports"
    with tempfile.TemporaryDirectory() as tmp:
        pki = create_dev_pki(Path(tmp))
        signer = pki.signer()
        report = synthetic_report()
        render_report(report, reports_dir=reports_dir)  # warm-up: fonts, imports
        bare_sign(
            bare_render(report, reports_dir / "fonts"), pki.signer_key, pki.signer_cert, pki.ca_cert
        )
        ours, bare = [], []
        for _ in range(args.reports):
            t = time.perf_counter()
            signed = sign_pdf(render_report(report, reports_dir=reports_dir), signer)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            bare_signed = bare_sign(
                bare_render(report, reports_dir / "fonts"),
                pki.signer_key,
                pki.signer_cert,
                pki.ca_cert,
            )
            bare.append(time.perf_counter() - t)
        assert verify_pdf(signed, trust_roots=[pki.ca_cert]).ok
        assert bare_signed.startswith(b"%PDF")
    o, b = statistics.median(ours), statistics.median(bare)
    print(
        f"signed evaluation report ({len(report.criteria)} criteria, 3 reviewers): median "
        f"{o * 1000:.0f} ms"
    )
    print(f"bare reportlab + pyHanko, same content:          median {b * 1000:.0f} ms")
    print(f"ratio: {o / b:.2f}×  ({args.reports} reports each)")


if __name__ == "__main__":
    main()
