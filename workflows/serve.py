"""Deployment mode: serve the flows from this process (``qa-engine worker``), one or many machines.

Each worker polls the Prefect server for runs of the deployments it serves; the server hands each
run to exactly one worker. Run as many workers as needed, on as many machines.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment

from qa_engine.workflows.flows import advance_case, advance_cases, intake_flow, sweep_flow


def _deployment(flow: Flow[..., Any], name: str, **options: Any) -> RunnerDeployment:
    # Prefect types the answer as the deployment or, in an async context, its coroutine; the
    # worker makes its deployments in synchronous code: the deployment
    return cast(RunnerDeployment, flow.to_deployment(name=name, **options))


def deployments(*, sweep_minutes: int = 15) -> list[RunnerDeployment]:
    out = [
        _deployment(advance_case, "advance-case"),
        _deployment(advance_cases, "advance-cases"),
        _deployment(intake_flow, "intake"),
    ]
    from qa_engine.workflows.leadership import deployment as leadership_deployment

    out.append(leadership_deployment(interval_days=7))
    if sweep_minutes > 0:
        out.append(_deployment(sweep_flow, "sweep", interval=timedelta(minutes=sweep_minutes)))
    else:
        out.append(_deployment(sweep_flow, "sweep"))
    return out


def serve_all(*, sweep_minutes: int = 15, limit: int | None = None) -> None:
    serve(*deployments(sweep_minutes=sweep_minutes), limit=limit, print_starting_message=True)
