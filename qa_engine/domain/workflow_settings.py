"""Workflow settings (reviewers per case, deadlines, reminders, thresholds), checked like
rubrics."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa_engine.domain.rubric_loader import RubricError, read_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deadlines(_Strict):
    self_assessment: int = Field(30, ge=1, le=365)
    invitation_response: int = Field(7, ge=1, le=60)
    review: int = Field(21, ge=1, le=180)
    decision: int = Field(14, ge=1, le=180)


class Reminders(_Strict):
    days_before_due: list[int] = Field(default_factory=lambda: [7, 2])
    days_after_due: list[int] = Field(default_factory=lambda: [1])

    @model_validator(mode="after")
    def _positive(self) -> Reminders:
        if any(d < 0 for d in self.days_before_due + self.days_after_due):
            raise ValueError("reminder days must be 0 or more")
        return self


class WorkflowSettings(_Strict):
    reviewers_per_case: int = Field(2, ge=1, le=10)
    min_institutions: int = Field(2, ge=1, le=8)
    auto_assign: bool = True
    deadlines_days: Deadlines = Deadlines()
    reminders: Reminders = Reminders()
    replace_after_days_overdue: int = Field(7, ge=0, le=365)
    disagreement_threshold: float = Field(2, gt=0)
    max_extra_reviewers: int = Field(1, ge=0, le=5)
    approval_validity_days: int = Field(1095, ge=1, le=3650)
    kick_retry_after_minutes: int = Field(10, ge=1, le=1440)
    # true: a rubric version is published only after its replay on past decisions has been run
    require_replay: bool = False


class WorkflowSettingsError(RubricError):
    pass


def load_workflow_settings(path: Path) -> WorkflowSettings:
    """Read and check the settings file; raise naming FILE:LINE for every problem."""
    value, problems = read_yaml_model(path, WorkflowSettings, expected="a mapping of settings")
    if value is None:
        raise WorkflowSettingsError(problems)
    return value
