"""What the web reads of the stored rows the services hand it.

The web does not import the store's models (see the import contract "Web reaches the store only
through the unit of work"), so a route that names a row in a signature names one of these
protocols: the attributes it reads, read-only. The store's models satisfy them as they are.
`stored_id` reads the id of a row a service has stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from qa_engine.domain.errors import StorageError


class ReportRow(Protocol):
    @property
    def report_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def generated_at(self) -> datetime | None: ...
    @property
    def sha256(self) -> str | None: ...


class SelfAssessmentRow(Protocol):
    @property
    def case_id(self) -> int: ...
    @property
    def round(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def entries(self) -> Mapping[str, Any]: ...
    @property
    def version(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def submitted_at(self) -> datetime | None: ...


class ReviewRow(Protocol):
    @property
    def case_id(self) -> int: ...
    @property
    def round(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def scores(self) -> Mapping[str, Any]: ...
    @property
    def comments(self) -> Mapping[str, Any]: ...
    @property
    def recommendation(self) -> str | None: ...
    @property
    def overall_comment(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def submitted_at(self) -> datetime | None: ...


class CredentialRecord(Protocol):
    @property
    def reference(self) -> str: ...


class StoredRow(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: StoredRow, what: str) -> int:
    """The id of a row a service has stored (flushed); a row without one was not stored."""
    if row.id is None:
        raise StorageError(f"the {what} was not stored; try again")
    return row.id
