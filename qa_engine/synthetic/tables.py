"""The vocabulary of the synthetic alliance: institutions with their language and region, fields,
topics, conditions, local name pools, and the texts simulated people write."""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.services.institutions import ALLIANCE


@dataclass(frozen=True)
class Member:
    """One institution of the alliance as the generator sees it."""

    code: str
    name: str
    local_name: str
    city: str
    country: str
    language: str  # ISO 639-1, the language of tuition besides English
    locale: str  # which name pool its people come from
    region: str | None

    @property
    def domain(self) -> str:
        """Mail domain of the generated people (example.eu: no real mailbox is ever addressed)."""
        return f"{self.code.lower()}.example.eu"


_LOCAL = {  # code: (language, name pool, region)
    "CUNI": ("cs", "cs", "Praha"),
    "UHEI": ("de", "de", "Baden-Württemberg"),
    "UPA": ("fr", "fr", "Île-de-France"),
    "SU": ("fr", "fr", "Île-de-France"),
    "UCPH": ("da", "da", "Hovedstaden"),
    "UNIMI": ("it", "it", "Lombardia"),
    "UW": ("pl", "pl", "Mazowieckie"),
    "UNIGE": ("fr", "fr-CH", "Genève"),
}

MEMBERS: dict[str, Member] = {
    code: Member(code, name, local, city, country, *_LOCAL.get(code, ("en", "fr", None)))
    for code, name, local, city, country, _membership in ALLIANCE
}


def member_for(
    code: str, *, name: str = "", local_name: str | None = None, city: str = "", country: str = ""
) -> Member:
    """The member with this code; an institution added outside the alliance table gets neutral
    defaults."""
    if code in MEMBERS:
        return MEMBERS[code]
    return Member(
        code, name or code, local_name or name or code, city, country or "EU", "en", "fr", None
    )


# ISCED-F 2013 detailed fields the alliance's micro-credentials come from (and reviewers know).
FIELDS = [
    "0411",
    "0413",
    "0421",
    "0521",
    "0522",
    "0532",
    "0542",
    "0588",
    "0613",
    "0611",
    "0712",
    "0731",
    "0788",
    "0912",
    "0923",
    "1015",
    "0314",
    "0388",
    "0222",
    "0114",
]
TOPICS = {
    "04": [
        "Sustainable Finance",
        "Carbon Accounting",
        "Circular Business Models",
        "Green Procurement",
    ],
    "05": [
        "Climate Data Analysis",
        "Biodiversity Monitoring",
        "Ocean Literacy",
        "Environmental Modelling",
    ],
    "06": [
        "Data Stewardship",
        "Applied Machine Learning",
        "Cybersecurity Basics",
        "Open Research Software",
    ],
    "07": ["Energy Systems", "Sustainable Buildings", "Urban Mobility", "Water Engineering"],
    "09": ["Digital Health", "One Health", "Public Health Data", "Health Technology Assessment"],
    "10": ["Sustainable Tourism"],
    "03": ["Behavioural Economics", "Policy Evaluation"],
    "02": ["Digital Humanities"],
    "01": ["Teaching with Digital Tools"],
}
AUDIENCES = [
    "Public Administration",
    "Health Professionals",
    "Small and Medium-Sized Enterprises",
    "Researchers",
    "Teachers",
    "Engineers",
    "Non-Profit Organisations",
    "Local Authorities",
]
TITLE_PATTERNS = [
    "{topic}",
    "{topic} for {audience}",
    "Introduction to {topic}",
    "{topic} in Practice",
    "Advanced {topic}",
    "{topic}: Methods and Tools",
]
OUTCOMES = [
    "Apply {t} methods to a real case from {sector}",
    "Evaluate evidence on {t} critically and communicate it to non-specialists",
    "Design a {t} plan for an organisation, with milestones and indicators",
    "Use open data and digital tools to analyse a {t} question",
    "Explain the principles of {t} and their ethical and legal implications",
    "Compare {t} approaches used in at least two European countries",
    "Work in an international team to deliver a {t} project on time",
]
SECTORS = [
    "the public sector",
    "industry",
    "a city administration",
    "a hospital",
    "a non-profit organisation",
    "a research group",
    "a small enterprise",
]
ASSESSMENTS = [
    "Project and oral examination",
    "Written examination (60 %) and a group project (40 %)",
    "Portfolio of three assignments, assessed against published criteria",
    "Online proctored test and a case-study report",
    "Practical assignment with peer assessment and a final presentation",
]
LEARNER_IDS = [
    "Full name, date of birth and learner number of the holder",
    "Full name and date of birth of the holder, and the university's learner identifier",
    "Full name, date of birth and the European Student Identifier of the holder",
]
PREREQUISITES = [
    "Bachelor's degree or work experience",
    "Bachelor's degree in a related field",
    "Two years of professional experience in the field",
    "Basic statistics and spreadsheet skills",
]
GRADING = [
    "Pass / fail",
    "ECTS grading scale (A-F)",
    "Local scale with an ECTS grade conversion table",
]
PROGRAMMES = [
    "a Master's programme",
    "the university's lifelong-learning certificate",
    "a joint 4EU+ minor",
    "a Bachelor's programme, as an elective course",
]
ISSUE_DATES = ["2026-01-31", "2026-06-30", "2026-09-30", "2026-12-18"]

CONDITIONS = [
    "Publish the change log of the yearly review on the credential page",
    "State the EQF level and the QF-EHEA cycle in the credential description",
    "Align each learning outcome with the ESCO skills it develops",
    "Add identity verification to the final assessment",
    "Document how learner feedback is collected and used",
    "Agree recognition rules with at least one other 4EU+ university",
    "Recalculate the workload in ECTS from the learning activities",
    "Describe the stackability route towards a degree programme",
    "Publish the assessment criteria before enrolment opens",
    "Name the body responsible for the quality of the credential",
    "Map the learning outcomes to DigComp competences explicitly",
    "Provide accessible learning materials for learners with disabilities",
]
REVISIONS = [
    "Rewrite the learning outcomes as observable, assessable performances",
    "Describe the assessment and its marking scheme",
    "Explain how the workload was estimated from the learning activities",
    "Show how the quality of the credential will be reviewed each year",
]
# Criteria on which reviewers read the descriptors differently (more noise): low agreement.
NOISY = {"eu-p7": 1.1, "dg-esco": 1.0, "esg-1.10": 0.95, "eu-p10": 0.9, "dg-labour-market": 0.85}
# Competences no synthetic credential claims: the gaps the leadership report should show.
NEVER = {"DigComp-2.5", "DigComp-2.3", "GreenComp-4.1", "GreenComp-1.3"}

DECLINE_CONFLICT = [
    "I co-authored two papers with the course leader in the last three years",
    "I was external examiner for this programme until last year",
    "A member of the course team is in my research group",
    "I advised the faculty on the design of this credential",
]
DECLINE_OTHER = [
    "My teaching load this term does not allow a careful review",
    "I am on research leave until the end of the semester",
    "The topic is too far from my own expertise",
    "I already review for two other calls this month",
]
REMARKS = {
    "high": [
        "The evidence is specific and convincing.",
        "Good practice the alliance could share.",
        "Clearly documented in the course handbook.",
    ],
    "mid": [
        "The intention is clear; the evidence is partial.",
        "Some arrangements are described but not yet applied.",
        "Worth a condition: document how this works in practice.",
    ],
    "low": [
        "I found no evidence of this in the submission.",
        "The self-assessment claims more than the evidence shows.",
        "This needs to be addressed before the credential is offered.",
    ],
}
CLAIMS = [
    "is addressed in the course design",
    "is documented in the course handbook and the module descriptor",
    "was discussed with the faculty's QA committee",
    "is checked every year in the programme review",
]
RATIONALES = {
    "approved": "The credential meets the ESG and the EU principles convincingly "
    "(consolidated score {overall}).",
    "approved_with_conditions": "Sound design (consolidated score {overall}); "
    "the conditions below are to be met within a year.",
    "revision_requested": "Not yet ready (consolidated score {overall}): "
    "revise the points the reviewers raised and resubmit.",
    "rejected": "The credential does not meet the alliance's minimum standards "
    "(consolidated score {overall}).",
}

# ----------------------------------------------------------------------------- local names
# (given names of women, given names of men, family names); a family name "m/f" has a form per
# gender.
NAMES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "cs": (
        [
            "Jana",
            "Eva",
            "Hana",
            "Lucie",
            "Kateřina",
            "Markéta",
            "Tereza",
            "Veronika",
            "Zuzana",
            "Petra",
            "Barbora",
            "Klára",
            "Alena",
            "Martina",
        ],
        [
            "Jiří",
            "Jan",
            "Petr",
            "Tomáš",
            "Martin",
            "Pavel",
            "Jakub",
            "Lukáš",
            "Ondřej",
            "Vojtěch",
            "Michal",
            "Karel",
            "Miroslav",
            "David",
        ],
        [
            "Novák/Nováková",
            "Svoboda/Svobodová",
            "Novotný/Novotná",
            "Dvořák/Dvořáková",
            "Černý/Černá",
            "Procházka/Procházková",
            "Kučera/Kučerová",
            "Veselý/Veselá",
            "Horák/Horáková",
            "Němec/Němcová",
            "Marek/Marková",
            "Pokorný/Pokorná",
            "Král/Králová",
            "Růžička/Růžičková",
            "Beneš/Benešová",
            "Fiala/Fialová",
            "Sedláček/Sedláčková",
            "Doležal/Doležalová",
            "Zeman/Zemanová",
            "Kolář/Kolářová",
        ],
    ),
    "de": (
        [
            "Anna",
            "Julia",
            "Katharina",
            "Laura",
            "Lena",
            "Sarah",
            "Lisa",
            "Johanna",
            "Sophie",
            "Miriam",
            "Ute",
            "Sabine",
            "Claudia",
            "Franziska",
        ],
        [
            "Jörg",
            "Thomas",
            "Michael",
            "Andreas",
            "Stefan",
            "Matthias",
            "Tobias",
            "Florian",
            "Jan",
            "Lukas",
            "Sebastian",
            "Christian",
            "Markus",
            "Jürgen",
        ],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Zimmermann",
            "Krüger",
            "Hartmann",
            "Lange",
        ],
    ),
    "fr": (
        [
            "Marie",
            "Camille",
            "Élodie",
            "Claire",
            "Sophie",
            "Juliette",
            "Manon",
            "Chloé",
            "Léa",
            "Émilie",
            "Isabelle",
            "Nathalie",
            "Hélène",
            "Céline",
        ],
        [
            "François",
            "Nicolas",
            "Julien",
            "Pierre",
            "Thomas",
            "Antoine",
            "Mathieu",
            "Sébastien",
            "Olivier",
            "Guillaume",
            "Louis",
            "Hugo",
            "Étienne",
            "Benoît",
        ],
        [
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Lefèvre",
            "Michel",
            "Garcia",
            "David",
            "Bertrand",
            "Roux",
            "Vincent",
            "Fournier",
            "Girard",
            "Bonnet",
            "Mercier",
            "Lambert",
        ],
    ),
    "fr-CH": (
        [
            "Amélie",
            "Céline",
            "Laure",
            "Nadia",
            "Sandrine",
            "Valérie",
            "Aurélie",
            "Coralie",
            "Mélanie",
            "Joëlle",
            "Chantal",
            "Corinne",
            "Noémie",
            "Séverine",
        ],
        [
            "Yves",
            "Pascal",
            "Laurent",
            "Cédric",
            "Fabien",
            "Raphaël",
            "Grégoire",
            "Loïc",
            "Olivier",
            "Sylvain",
            "Frédéric",
            "Jérôme",
            "Daniel",
            "Patrick",
        ],
        [
            "Favre",
            "Rochat",
            "Berset",
            "Perrin",
            "Bonvin",
            "Cuénod",
            "Dupraz",
            "Jaquet",
            "Monnier",
            "Pittet",
            "Reymond",
            "Chappuis",
            "Vuilleumier",
            "Gay",
            "Rey",
            "Cretton",
            "Guignard",
            "Mottier",
            "Genoud",
            "Décosterd",
        ],
    ),
    "da": (
        [
            "Mette",
            "Anne",
            "Kirsten",
            "Hanne",
            "Camilla",
            "Ida",
            "Sofie",
            "Freja",
            "Louise",
            "Maja",
            "Line",
            "Signe",
            "Karen",
            "Birgitte",
        ],
        [
            "Søren",
            "Jens",
            "Lars",
            "Niels",
            "Rasmus",
            "Mads",
            "Anders",
            "Henrik",
            "Morten",
            "Christian",
            "Frederik",
            "Jesper",
            "Thomas",
            "Mikkel",
        ],
        [
            "Jensen",
            "Nielsen",
            "Hansen",
            "Pedersen",
            "Andersen",
            "Christensen",
            "Larsen",
            "Sørensen",
            "Rasmussen",
            "Jørgensen",
            "Petersen",
            "Madsen",
            "Kristensen",
            "Olsen",
            "Thomsen",
            "Poulsen",
            "Johansen",
            "Møller",
            "Mortensen",
            "Kjær",
            "Lund",
            "Holm",
            "Østergaard",
        ],
    ),
    "it": (
        [
            "Giulia",
            "Francesca",
            "Chiara",
            "Sara",
            "Martina",
            "Valentina",
            "Alessandra",
            "Elena",
            "Federica",
            "Silvia",
            "Laura",
            "Paola",
            "Roberta",
            "Beatrice",
        ],
        [
            "Marco",
            "Alessandro",
            "Andrea",
            "Luca",
            "Matteo",
            "Giuseppe",
            "Francesco",
            "Lorenzo",
            "Davide",
            "Stefano",
            "Riccardo",
            "Paolo",
            "Simone",
            "Giovanni",
        ],
        [
            "Rossi",
            "Russo",
            "Ferrari",
            "Esposito",
            "Bianchi",
            "Romano",
            "Colombo",
            "Ricci",
            "Marino",
            "Greco",
            "Bruno",
            "Gallo",
            "Conti",
            "De Luca",
            "Mancini",
            "Costa",
            "Giordano",
            "Rizzo",
            "Lombardi",
            "Moretti",
            "Barbieri",
            "Fontana",
        ],
    ),
    "pl": (
        [
            "Anna",
            "Katarzyna",
            "Małgorzata",
            "Agnieszka",
            "Joanna",
            "Ewa",
            "Magdalena",
            "Aleksandra",
            "Zofia",
            "Łucja",
            "Karolina",
            "Monika",
            "Barbara",
            "Dorota",
        ],
        [
            "Piotr",
            "Krzysztof",
            "Tomasz",
            "Paweł",
            "Michał",
            "Marcin",
            "Jakub",
            "Łukasz",
            "Grzegorz",
            "Wojciech",
            "Mateusz",
            "Andrzej",
            "Rafał",
            "Bartosz",
        ],
        [
            "Nowak",
            "Kowalski/Kowalska",
            "Wiśniewski/Wiśniewska",
            "Wójcik",
            "Kowalczyk",
            "Kamiński/Kamińska",
            "Lewandowski/Lewandowska",
            "Zieliński/Zielińska",
            "Szymański/Szymańska",
            "Woźniak",
            "Dąbrowski/Dąbrowska",
            "Kozłowski/Kozłowska",
            "Jankowski/Jankowska",
            "Mazur",
            "Krawczyk",
            "Piotrowski/Piotrowska",
            "Grabowski/Grabowska",
            "Żółkiewski/Żółkiewska",
            "Pawłowski/Pawłowska",
            "Michalski/Michalska",
        ],
    ),
}
TITLES = {
    "cs": ["doc.", "prof.", "Dr."],
    "de": ["Dr.", "Prof. Dr."],
    "fr": ["Dr", "Pr"],
    "fr-CH": ["Dr", "Prof."],
    "da": ["Dr.", "Prof."],
    "it": ["Dott.ssa/Dott.", "Prof.ssa/Prof."],
    "pl": ["dr", "dr hab.", "prof."],
}
# Other languages a reviewer may read besides English and their own.
EXTRA_LANGUAGES = ["de", "fr", "es", "it"]
