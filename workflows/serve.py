"""Deployment mode: serve the flows from this process (``qa-engine worker``), one or many machines.

Each worker polls the Prefect server for runs of the deployments it serves; the server hands each
run to exactly one worker. Run as many workers as needed, on as many machines.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import serve

from qa_engine.workflows.flows import advance_case, advance_cases, intake_flow, sweep_flow


def deployments(*, sweep_minutes: int = 15) -> list:
    out = [
        advance_case.to_deployment(name="advance-case"),
        advance_cases.to_deployment(name="advance-cases"),
        intake_flow.to_deployment(name="intake"),
    ]
    from qa_engine.workflows.leadership import deployment as leadership_deployment

    out.append(leadership_deployment(interval_days=7))
    if sweep_minutes > 0:
        out.append(
            sweep_flow.to_deployment(name="sweep", interval=timedelta(minutes=sweep_minutes))
        )
    else:
        out.append(sweep_flow.to_deployment(name="sweep"))
    return out


def serve_all(*, sweep_minutes: int = 15, limit: int | None = None) -> None:
    serve(*deployments(sweep_minutes=sweep_minutes), limit=limit, print_starting_message=True)
