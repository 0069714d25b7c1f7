"""Plausible micro-credentials: every EU standard element, ECTS and EQF distributions like the
alliance's calls, DigComp / GreenComp / ESCO skills and ISCED-F fields.

One generator for both paths: the live alliance parses the data and saves it through the
credentials service; the bulk history writer stores it as a version row directly."""

from __future__ import annotations

from typing import Any

import numpy as np

from qa_engine.domain.standards import DIGCOMP, GREENCOMP
from qa_engine.synthetic.people import person_name, pick
from qa_engine.synthetic.tables import (
    ASSESSMENTS,
    AUDIENCES,
    FIELDS,
    GRADING,
    ISSUE_DATES,
    LEARNER_IDS,
    NEVER,
    OUTCOMES,
    PREREQUISITES,
    PROGRAMMES,
    SECTORS,
    TITLE_PATTERNS,
    TOPICS,
    Member,
)

_ECTS = np.array([1, 2, 2.5, 3, 4, 5, 6, 8, 10, 15])
_ECTS_P = [0.04, 0.12, 0.08, 0.2, 0.2, 0.18, 0.1, 0.04, 0.03, 0.01]
_EQF_P = [0.04, 0.09, 0.4, 0.45, 0.02]
_CYCLE = {5: "short", 6: "first", 7: "second", 8: "third"}
_SUPERVISION = [
    "supervised_online_with_id",
    "supervised_onsite_with_id",
    "supervised_no_id",
    "unsupervised_no_id",
]


def esco_uri(rng: np.random.Generator) -> str:
    h = rng.bytes(16).hex()
    return f"http://data.europa.eu/esco/skill/{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


class CredentialFactory:
    """Draws credential descriptions; the ESCO skills come from a pool fixed when it is made."""

    def __init__(self, rng: np.random.Generator, esco_pool: int = 60) -> None:
        self.esco_pool = [esco_uri(rng) for _ in range(esco_pool)]
        self.digcomp = [c for c in DIGCOMP if c not in NEVER]
        self.greencomp = [c for c in GREENCOMP if c not in NEVER]

    def data(self, rng: np.random.Generator, member: Member, reference: str) -> dict[str, Any]:
        """The raw fields of one credential (what an import file holds; `parse_credential` accepts
        it)."""
        isced = pick(rng, FIELDS)
        topic = pick(rng, TOPICS.get(isced[:2], ["Interdisciplinary Skills"]))
        ects = float(rng.choice(_ECTS, p=_ECTS_P))
        eqf = int(rng.choice(5, p=_EQF_P)) + 4
        ndig = int(rng.choice(4, p=[0.25, 0.35, 0.3, 0.1]))
        ngreen = int(rng.choice(3, p=[0.4, 0.4, 0.2]))
        nesco = int(rng.choice(4, p=[0.2, 0.3, 0.3, 0.2]))
        t = topic.lower()
        n_outcomes = int(rng.integers(3, 6))
        outcomes = [
            OUTCOMES[int(i)].format(t=t, sector=pick(rng, SECTORS))
            for i in rng.choice(len(OUTCOMES), n_outcomes, replace=False)
        ]
        stackable = rng.random() < 0.6
        language_mix = rng.random()
        languages = (
            ["en"]
            if language_mix < 0.45
            else (["en", member.language] if language_mix < 0.9 else [member.language])
        )
        contact = person_name(rng, member.locale, titled=0.0)
        return {
            "reference": reference,
            "provider": member.code,
            "title": pick(rng, TITLE_PATTERNS).format(topic=topic, audience=pick(rng, AUDIENCES)),
            "learner_identification": pick(rng, LEARNER_IDS),
            "country": member.country,
            "region": member.region,
            "awarding_body": member.local_name,
            "date_of_issuing": pick(rng, ISSUE_DATES),
            "learning_outcomes": outcomes,
            "ects": f"{ects:g}",
            "workload_hours": int(round(ects * float(rng.uniform(25.5, 29.5)))),
            "eqf_level": eqf,
            "qf_ehea_cycle": _CYCLE.get(eqf),
            "assessment_type": pick(rng, ASSESSMENTS),
            "participation_form": pick(rng, ["online", "onsite", "blended"]),
            "quality_assurance": f"Internal quality assurance of {member.local_name}; "
            "reviewed through the 4EU+ micro-credential QA procedure",
            "prerequisites": pick(rng, PREREQUISITES) if rng.random() < 0.7 else None,
            "supervision": pick(rng, _SUPERVISION) if rng.random() < 0.6 else None,
            "grading": pick(rng, GRADING) if rng.random() < 0.8 else None,
            "stackability": "stackable" if stackable else "stand_alone",
            "stackable_towards": f"{pick(rng, PROGRAMMES)} at {member.local_name}"
            if stackable and rng.random() < 0.7
            else None,
            "further_information": f"Offered in {member.city}"
            + (" and online" if rng.random() < 0.5 else "")
            if rng.random() < 0.4
            else None,
            "isced_f": isced,
            "languages": languages,
            "esco_skills": [str(x) for x in rng.choice(self.esco_pool, nesco, replace=False)],
            "digcomp": sorted(str(x) for x in rng.choice(self.digcomp, ndig, replace=False)),
            "greencomp": sorted(str(x) for x in rng.choice(self.greencomp, ngreen, replace=False)),
            "contact_email": f"microcredentials@{member.domain}",
            "contact_name": f"{contact.given} {contact.family}" if rng.random() < 0.6 else None,
        }
