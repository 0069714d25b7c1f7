"""The reference frameworks that rubric criteria map to (`maps_to`) and coverage is measured
against.

Identifiers:
- ``ESG-1.1`` … ``ESG-1.10``: ESG 2015, Part 1.
- ``EU-P1`` … ``EU-P10``: principles of Annex II of the Council Recommendation (2022).
- ``EU-A1.1`` … ``EU-A1.11``: mandatory standard elements of Annex I; ``EU-A1.O1`` … ``EU-A1.O5``
  the optional ones.
- ``DigComp-1`` … ``DigComp-5`` (areas) and ``DigComp-1.1`` … ``DigComp-5.4`` (competences).
- ``GreenComp-1`` … ``GreenComp-4`` and ``GreenComp-1.1`` … ``GreenComp-4.3``.
- ``ESCO-green``, ``ESCO-digital``, ``ESCO-skills``: alignment with ESCO concepts.
- ``EQF``, ``ECTS``: level and workload referencing.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.domain.i18n import N_


@dataclass(frozen=True)
class Reference:
    id: str
    framework: str
    title: str


ESG = {
    "ESG-1.1": N_("Policy for quality assurance"),
    "ESG-1.2": N_("Design and approval of programmes"),
    "ESG-1.3": N_("Student-centred learning, teaching and assessment"),
    "ESG-1.4": N_("Student admission, progression, recognition and certification"),
    "ESG-1.5": N_("Teaching staff"),
    "ESG-1.6": N_("Learning resources and student support"),
    "ESG-1.7": N_("Information management"),
    "ESG-1.8": N_("Public information"),
    "ESG-1.9": N_("On-going monitoring and periodic review of programmes"),
    "ESG-1.10": N_("Cyclical external quality assurance"),
}

EU_PRINCIPLES = {
    "EU-P1": N_("Quality"),
    "EU-P2": N_("Transparency"),
    "EU-P3": N_("Relevance"),
    "EU-P4": N_("Valid assessment"),
    "EU-P5": N_("Learning pathways"),
    "EU-P6": N_("Recognition"),
    "EU-P7": N_("Portable"),
    "EU-P8": N_("Learner-centred"),
    "EU-P9": N_("Authentic"),
    "EU-P10": N_("Information and guidance"),
}

# Annex I mandatory standard elements, in the Recommendation's order, with the credential field
# that carries each one.
EU_ELEMENTS = {
    "EU-A1.1": (N_("Identification of the learner"), "learner_identification"),
    "EU-A1.2": (N_("Title of the micro-credential"), "title"),
    "EU-A1.3": (N_("Country / region of the issuer"), "country"),
    "EU-A1.4": (N_("Awarding body"), "awarding_body"),
    "EU-A1.5": (N_("Date of issuing"), "date_of_issuing"),
    "EU-A1.6": (N_("Learning outcomes"), "learning_outcomes"),
    "EU-A1.7": (N_("Notional workload (ECTS)"), "ects"),
    "EU-A1.8": (N_("Level of the learning experience (EQF)"), "eqf_level"),
    "EU-A1.9": (N_("Type of assessment"), "assessment_type"),
    "EU-A1.10": (N_("Form of participation"), "participation_form"),
    "EU-A1.11": (N_("Type of quality assurance"), "quality_assurance"),
}

EU_OPTIONAL_ELEMENTS = {
    "EU-A1.O1": (N_("Prerequisites needed to enrol"), "prerequisites"),
    "EU-A1.O2": (N_("Supervision and identity verification during assessment"), "supervision"),
    "EU-A1.O3": (N_("Grade achieved"), "grading"),
    "EU-A1.O4": (N_("Integration / stackability options"), "stackability"),
    "EU-A1.O5": (N_("Further information"), "further_information"),
}

DIGCOMP_AREAS = {
    "DigComp-1": "Information and data literacy",
    "DigComp-2": "Communication and collaboration",
    "DigComp-3": "Digital content creation",
    "DigComp-4": "Safety",
    "DigComp-5": "Problem solving",
}

DIGCOMP = {
    "DigComp-1.1": "Browsing, searching and filtering data, information and digital content",
    "DigComp-1.2": "Evaluating data, information and digital content",
    "DigComp-1.3": "Managing data, information and digital content",
    "DigComp-2.1": "Interacting through digital technologies",
    "DigComp-2.2": "Sharing through digital technologies",
    "DigComp-2.3": "Engaging in citizenship through digital technologies",
    "DigComp-2.4": "Collaborating through digital technologies",
    "DigComp-2.5": "Netiquette",
    "DigComp-2.6": "Managing digital identity",
    "DigComp-3.1": "Developing digital content",
    "DigComp-3.2": "Integrating and re-elaborating digital content",
    "DigComp-3.3": "Copyright and licences",
    "DigComp-3.4": "Programming",
    "DigComp-4.1": "Protecting devices",
    "DigComp-4.2": "Protecting personal data and privacy",
    "DigComp-4.3": "Protecting health and well-being",
    "DigComp-4.4": "Protecting the environment",
    "DigComp-5.1": "Solving technical problems",
    "DigComp-5.2": "Identifying needs and technological responses",
    "DigComp-5.3": "Creatively using digital technologies",
    "DigComp-5.4": "Identifying digital competence gaps",
}

GREENCOMP_AREAS = {
    "GreenComp-1": "Embodying sustainability values",
    "GreenComp-2": "Embracing complexity in sustainability",
    "GreenComp-3": "Envisioning sustainable futures",
    "GreenComp-4": "Acting for sustainability",
}

GREENCOMP = {
    "GreenComp-1.1": "Valuing sustainability",
    "GreenComp-1.2": "Supporting fairness",
    "GreenComp-1.3": "Promoting nature",
    "GreenComp-2.1": "Systems thinking",
    "GreenComp-2.2": "Critical thinking",
    "GreenComp-2.3": "Problem framing",
    "GreenComp-3.1": "Futures literacy",
    "GreenComp-3.2": "Adaptability",
    "GreenComp-3.3": "Exploratory thinking",
    "GreenComp-4.1": "Political agency",
    "GreenComp-4.2": "Collective action",
    "GreenComp-4.3": "Individual initiative",
}

OTHER = {
    "ESCO-skills": "Alignment of learning outcomes with ESCO skills and knowledge concepts",
    "ESCO-green": "ESCO concepts labelled green",
    "ESCO-digital": "ESCO concepts labelled digital",
    "EQF": "European Qualifications Framework level",
    "ECTS": "European Credit Transfer and Accumulation System workload",
}

_FRAMEWORKS: list[tuple[str, dict[str, str]]] = [
    ("ESG 2015 Part 1", ESG),
    ("EU principles (Annex II)", EU_PRINCIPLES),
    ("EU standard elements (Annex I)", {k: v[0] for k, v in EU_ELEMENTS.items()}),
    ("EU optional elements (Annex I)", {k: v[0] for k, v in EU_OPTIONAL_ELEMENTS.items()}),
    ("DigComp 2.2 areas", DIGCOMP_AREAS),
    ("DigComp 2.2", DIGCOMP),
    ("GreenComp areas", GREENCOMP_AREAS),
    ("GreenComp", GREENCOMP),
    ("ESCO / EQF / ECTS", OTHER),
]

REFERENCES: dict[str, Reference] = {
    ref_id: Reference(ref_id, framework, title)
    for framework, table in _FRAMEWORKS
    for ref_id, title in table.items()
}


@dataclass(frozen=True)
class CompetenceFramework:
    """A competence framework that criteria may name competence by competence (``DigComp-4.4``)
    or area by area (``DigComp-4``, the area as a whole)."""

    name: str  # "DigComp 2.2"
    prefix: str  # "DigComp"
    areas: dict[str, str]
    competences: dict[str, str]


COMPETENCE_FRAMEWORKS: tuple[CompetenceFramework, ...] = (
    CompetenceFramework("DigComp 2.2", "DigComp", DIGCOMP_AREAS, DIGCOMP),
    CompetenceFramework("GreenComp", "GreenComp", GREENCOMP_AREAS, GREENCOMP),
)


def competence_framework_of(ref: str) -> CompetenceFramework | None:
    """The competence framework a reference belongs to, or seems meant for (any spelling of its
    name: ``digcomp:4.4``, ``DigComp 4.4``); None for any other reference."""
    low = ref.strip().lower()
    for fw in COMPETENCE_FRAMEWORKS:
        if low.startswith(fw.prefix.lower()):
            return fw
    return None


def unknown_competence_hint(ref: str) -> str | None:
    """What is wrong with a DigComp/GreenComp reference the frameworks do not know, or None when
    the reference is known or names no competence framework."""
    fw = competence_framework_of(ref)
    if fw is None or ref in REFERENCES:
        return None
    rest = ref.strip()[len(fw.prefix) :].strip().lstrip("-_: ")
    canonical = f"{fw.prefix}-{rest}"
    if canonical in fw.competences or canonical in fw.areas:
        return f"write it '{canonical}'"
    areas, comps = list(fw.areas), list(fw.competences)
    return (
        f"{fw.name} has no competence or area '{rest}' (areas {areas[0]} … {areas[-1]},"
        f" competences {comps[0]} … {comps[-1]})"
    )


def is_known_reference(ref: str) -> bool:
    return ref in REFERENCES


def framework_of(ref: str) -> str:
    """Return the short framework key of a reference id (ESG, EU-P, EU-A1, DigComp, …)."""
    if ref.startswith("EU-A1"):
        return "EU-A1"
    if ref.startswith("EU-P"):
        return "EU-P"
    return ref.split("-", 1)[0]


def digcomp_area(ref: str) -> str | None:
    if ref.startswith("DigComp-"):
        return ref.split(".")[0]
    return None


def greencomp_area(ref: str) -> str | None:
    if ref.startswith("GreenComp-"):
        return ref.split(".")[0]
    return None


def normalise_competence(raw: str, framework: str) -> str | None:
    """Turn what a person types ('4.4', 'DigComp 4.4', 'digcomp-4.4') into a reference id."""
    text = raw.strip().replace(" ", "-")
    low = text.lower()
    prefix = framework.lower()
    if low.startswith(prefix):
        text = text[len(prefix) :].lstrip("-_:")
    candidate = f"{framework}-{text}"
    table = DIGCOMP if framework == "DigComp" else GREENCOMP
    return candidate if candidate in table else None
