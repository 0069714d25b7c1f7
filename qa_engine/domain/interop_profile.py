"""The interop profile: the identifiers other systems know the alliance's QA office and its
institutions by (homepages, e-mail, eIDAS legal identifiers, DEQAR and ETER ids), read from a YAML
mapping file (`QA_INTEROP_PROFILE`) and checked like the workflow settings: every problem names
FILE:LINE.

Names, cities and countries of the institutions come from the store; the profile adds only what
the store does not hold. An empty identifier is allowed here: the export that needs it refuses with
`ExportInvalid` naming the key.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa_engine.domain.decision_record import Organisation
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.rubric_loader import Problem, read_yaml_model

_URL = re.compile(r"https?://[^\s/$.?#][^\s]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CODE = re.compile(r"[A-Z0-9+]{2,16}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Identifiers(_Strict):
    """What the profile says of one organisation (every key may be empty)."""

    homepage: str = Field("", max_length=300)
    email: str = Field("", max_length=254)
    legal_identifier: str = Field("", max_length=100)
    deqar_id: str = Field("", max_length=40)
    eter_id: str = Field("", max_length=40)

    @field_validator("homepage")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not _URL.fullmatch(value):
            raise ValueError(f"{value!r} is not an http(s) address")
        return value.rstrip("/")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not _EMAIL.fullmatch(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class QAOffice(Identifiers):
    """The alliance's QA office, the accrediting agent of every decision."""

    code: str = Field("4EU+QA", min_length=2, max_length=16)
    name: str = Field(min_length=2, max_length=200)
    country: str = Field("", max_length=2)
    city: str = Field("", max_length=100)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code such as CZ")
        return value


class InteropProfile(_Strict):
    qa_office: QAOffice
    deqar_activity_id: str = Field("", max_length=40)
    # a note printed where the profile's values are used (the demo's profile says its ids are
    # demo values)
    note: str = Field("", max_length=500)
    institutions: dict[str, Identifiers] = Field(default_factory=dict)

    @field_validator("institutions")
    @classmethod
    def _codes(cls, value: dict[str, Identifiers]) -> dict[str, Identifiers]:
        for code in value:
            if not _CODE.fullmatch(code):
                raise ValueError(f"{code!r} is not an institution code such as CUNI")
        return value

    def office(self) -> Organisation:
        o = self.qa_office
        return Organisation(
            code=o.code,
            name=o.name,
            country=o.country,
            city=o.city,
            homepage=o.homepage,
            email=o.email,
            legal_identifier=o.legal_identifier,
            deqar_id=o.deqar_id,
            eter_id=o.eter_id,
        )

    def institution(
        self, code: str, *, name: str, local_name: str = "", country: str = "", city: str = ""
    ) -> Organisation:
        """The institution with the names the store holds and the identifiers the profile gives
        (none when the profile does not list it)."""
        ids = self.institutions.get(code, Identifiers())
        return Organisation(
            code=code,
            name=name,
            local_name=local_name,
            country=country,
            city=city,
            homepage=ids.homepage,
            email=ids.email,
            legal_identifier=ids.legal_identifier,
            deqar_id=ids.deqar_id,
            eter_id=ids.eter_id,
        )


class InteropProfileError(ValidationFailed):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(
            f"{len(self.problems)} problem(s) in the interop profile (QA_INTEROP_PROFILE)",
            details=[str(p) for p in self.problems],
        )


def load_interop_profile(path: Path) -> InteropProfile:
    """Read and check the profile; raise naming FILE:LINE for every problem."""
    value, problems = read_yaml_model(path, InteropProfile, expected="a mapping (qa_office, …)")
    if value is None:
        raise InteropProfileError(problems)
    return value
