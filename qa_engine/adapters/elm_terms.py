"""What the ELM v3 export writes and the ELM import reads back, where ELM has no dedicated
property for an element the engine holds: one table both sides use, so that
import(export(x)) gives x's standard elements again.

- The provider's own code for the credential is the Qualification's `identifier` with the
  scheme name `REFERENCE_SCHEME`.
- Elements without an ELM property travel as the Qualification's `additionalNote`: a Note whose
  `noteLiteral` reads "LABEL: value" with LABEL from `NOTE_LABELS` (a person reading the
  credential in a Europass viewer sees the label and the value; the import reads them back).
"""

from __future__ import annotations

REFERENCE_SCHEME = "Provider's credential code"

# engine field -> the label its note starts with
NOTE_LABELS: dict[str, str] = {
    "provider": "Provider institution code",
    "learner_identification": "Learner identification",
    "quality_assurance": "Type of quality assurance",
    "date_of_issuing": "Date of issuing",
    "region": "Region",
    "grading": "Grading",
    "stackability": "Stackability",
    "stackable_towards": "Stackable towards",
    "further_information": "Further information",
    "supervision": "Supervision and identity verification",
    "qf_ehea_cycle": "QF-EHEA cycle",
    "contact_name": "Contact person",
    "contact_email": "Contact e-mail",
}

_BY_LABEL = {label.casefold(): field for field, label in NOTE_LABELS.items()}


def note_text(field: str, value: str) -> str:
    """The note of one element: "LABEL: value"."""
    return f"{NOTE_LABELS[field]}: {value}"


def parse_note(text: str) -> tuple[str, str] | None:
    """The (field, value) of a note written by `note_text`, or None for any other note."""
    label, sep, value = text.partition(":")
    if not sep:
        return None
    field = _BY_LABEL.get(label.strip().casefold())
    if field is None:
        return None
    return field, value.strip()
