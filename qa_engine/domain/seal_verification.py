"""What checking a sealed JSON file found (a JAdES-sealed export, a VC-JWT, a sealed public
decision record): the verdict in words a person can act on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

SealStatus = Literal[
    "valid", "modified", "untrusted", "invalid", "unsupported", "unsigned", "unreadable"
]

# Each status in words (a valid seal is told with who and when: `SealVerdict.headline`)
SEAL_STATUS_WORDS: dict[str, str] = {
    "valid": "Valid",
    "modified": "Modified after sealing",
    "untrusted": "Sealed, but not by a trusted key",
    "invalid": "Damaged: the seal cannot be checked",
    "unsupported": "Sealed in a form this engine cannot check",
    "unsigned": "Not sealed",
    "unreadable": "Not a sealed file",
}

SealForm = Literal["JAdES", "VC-JWT", "JWS"]


@dataclass(frozen=True)
class SealVerdict:
    """What a seal check found. `payload` is the sealed JSON (parsed) whenever it could be read,
    also when the seal is not valid: callers decide whether to use it."""

    status: SealStatus
    message: str
    form: SealForm | None = None  # JAdES (JSON serialization), VC-JWT or a compact JWS
    signer: str | None = None  # subject common name of the sealing certificate
    organisation: str | None = None  # its organisation name
    signed_at: dt.datetime | None = None  # the signing time the seal claims (sigT, iat or nbf)
    timestamp_at: dt.datetime | None = None  # the time of the seal's RFC 3161 timestamp (B-T)
    algorithm: str | None = None
    payload: Any = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    @property
    def headline(self) -> str:
        """ "Valid — sealed by … on 3 December 2026", "Modified after sealing", "Not sealed"."""
        if self.status != "valid":
            return SEAL_STATUS_WORDS[self.status]
        when = self.timestamp_at or self.signed_at
        on = f" on {_day(when)}" if when else ""
        return f"Valid — sealed by {self.signer or 'an unnamed signer'}{on}"

    def lines(self) -> list[str]:
        """The headline, the reason and what is known of the seal, one line each."""
        out = [self.headline, self.message]
        if self.form:
            out.append(f"seal: {self.form}" + (f" ({self.algorithm})" if self.algorithm else ""))
        if self.signer:
            org = f" ({self.organisation})" if self.organisation else ""
            out.append(f"sealed by: {self.signer}{org}")
        if self.signed_at:
            out.append(f"signing time (claimed by the sealer): {_stamp(self.signed_at)}")
        if self.timestamp_at:
            out.append(f"timestamp (from a timestamp authority): {_stamp(self.timestamp_at)}")
        return out


def _utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _day(when: dt.datetime) -> str:
    when = _utc(when)
    return f"{when.day} {when:%B %Y}"


def _stamp(when: dt.datetime) -> str:
    return f"{_utc(when):%Y-%m-%d %H:%M:%S} UTC"
