"""Rubrics in several languages: per-language texts are checked on their lines, the content hash
covers every language, a rubric is given in a reader's language (English only where the rubric
does not declare that language), and the shipped rubrics are complete in the alliance's seven."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from qa_engine.domain.rubric import Criterion, Level, Meta, Rubric, Scale
from qa_engine.domain.rubric_diff import diff_rubrics
from qa_engine.domain.rubric_drafts import check_drafts
from qa_engine.domain.rubric_i18n import ISO_639_1, languages_of, localised
from qa_engine.domain.rubric_loader import load_library, read_rubric_file

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"
SEVEN = ["en", "fr", "de", "cs", "pl", "it", "da"]
SHIPPED = ["esg-2015-part1", "eu-microcredentials-2022", "digital-green-skills", "4eu-mici"]

# a rubric in English and French; line numbers matter to the tests below
BILINGUAL = """\
rubric:
  id: bi
  version: "1"
  title: {en: Teaching, fr: Enseignement}
  languages: [en, fr]
  description:
    en: Two languages.
    fr: Deux langues.
scales:
  - id: q
    title: {en: Quality, fr: Qualité}
    levels:
      - value: 0
        label: {en: None, fr: Aucun}
        descriptor: {en: Nothing is in place., fr: Rien n'est en place.}
      - value: 1
        label: {en: Some, fr: Partiel}
        descriptor: {en: Something is in place., fr: Quelque chose est en place.}
criteria:
  - id: a
    title:
      en: Assessment
      fr: Évaluation
    guidance:
      en: Each outcome is assessed.
      fr: Chaque acquis est évalué.
    scale: q
    evidence:
      - {en: Assessment plan, fr: Plan d'évaluation}
      - en: Marking rules
        fr: Règles de notation
thresholds:
  - {outcome: approved, min_score: 0.5}
  - {outcome: rejected, min_score: 0}
"""


def write(tmp_path: Path, text: str, name: str = "bi.yaml") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    return [str(p) for p in read_rubric_file(path).problems]


def rubric_of(path: Path, rubric_id: str = "bi") -> Rubric:
    lib = load_library([path])
    assert lib.all_problems() == []
    return lib.get(rubric_id)


# --------------------------------------------------------------------------- validation


def test_a_complete_bilingual_rubric_is_valid(tmp_path):
    path = write(tmp_path, BILINGUAL)
    assert problems(path) == []
    r = rubric_of(path)
    assert languages_of(r) == ["en", "fr"]
    c = r.criteria[0].criterion
    assert (c.title, c.guidance, c.evidence) == (
        "Assessment",
        "Each outcome is assessed.",
        ["Assessment plan", "Marking rules"],
    )


def test_missing_empty_and_undeclared_translations_are_reported_on_their_lines(tmp_path):
    text = (
        BILINGUAL.replace("      fr: Évaluation\n", "")  # criterion title: no fr
        .replace("fr: Chaque acquis est évalué.", 'fr: "  "')  # guidance: empty fr
        .replace("{en: Quality, fr: Qualité}", "Quality")  # scale title: plain text only
        .replace("label: {en: Some, fr: Partiel}", "label: {en: Some, fr: Partiel, de: Teilweise}")
        .replace("      - en: Marking rules\n        fr: Règles de notation\n", "      - Rules\n")
    )
    path = write(tmp_path, text)
    name = str(path)
    assert problems(path) == [
        f"{name}:11: scale 'q' title has no 'fr' translation",
        f"{name}:17: scale 'q' level 1 label has a 'de' translation, but the rubric does not"
        " declare 'de' (languages: en, fr); add it to the rubric's languages or remove the text",
        f"{name}:21: criterion 'a' title has no 'fr' translation",
        f"{name}:25: criterion 'a' guidance: the 'fr' translation is empty",
        f"{name}:29: criterion 'a' evidence 2 has no 'fr' translation",
    ]


def test_the_rubric_description_and_a_missing_language_of_several(tmp_path):
    text = BILINGUAL.replace("languages: [en, fr]", "languages: [en, fr, pl]").replace(
        "    fr: Deux langues.\n", ""
    )
    found = problems(write(tmp_path, text))
    assert any(p.endswith(":6: rubric description has no 'fr', 'pl' translations") for p in found)
    assert any(p.endswith(":4: rubric title has no 'pl' translation") for p in found)
    assert any(p.endswith(":23: criterion 'a' guidance has no 'pl' translation") for p in found)


def test_language_codes_must_be_iso_639_1(tmp_path):
    text = BILINGUAL.replace("languages: [en, fr]", "languages: [en, fr, fr, english]").replace(
        "label: {en: None, fr: Aucun}", "label: {en: None, fr: Aucun, xx: Nix}"
    )
    found = problems(write(tmp_path, text))
    name = str(tmp_path / "bi.yaml")
    assert f"{name}:5: rubric languages: 'fr' is listed twice" in found
    assert (
        f"{name}:5: rubric languages: 'english' is not an ISO 639-1 language code"
        " (two lower-case letters, e.g. 'en', 'fr', 'cs'; quote 'no')" in found
    )
    assert (
        f"{name}:14: scale 'q' level 0 label: 'xx' is not an ISO 639-1 language code"
        " (two lower-case letters, e.g. 'en', 'fr', 'cs')" in found
    )


def test_the_rubric_language_must_be_declared_and_valid(tmp_path):
    found = problems(write(tmp_path, BILINGUAL.replace("languages: [en, fr]", "languages: [fr]")))
    name = tmp_path / "bi.yaml"
    assert f"{name}:5: rubric languages must include the rubric's language 'en'" in found
    bad = BILINGUAL.replace('version: "1"', 'version: "1"\n  language: EN')
    assert any(
        ":4: rubric language: 'EN' is not an ISO 639-1 language code" in p
        for p in problems(write(tmp_path, bad, "bad.yaml"))
    )


def test_a_map_of_languages_in_a_single_language_rubric_is_refused(tmp_path):
    text = BILINGUAL.replace("  languages: [en, fr]\n", "")
    found = problems(write(tmp_path, text))
    assert any(
        p.endswith(
            ":4: rubric title has a 'fr' translation, but the rubric does not declare 'fr'"
            " (languages: en); add it to the rubric's languages or remove the text"
        )
        for p in found
    )


def test_translations_cannot_be_written_as_a_key(tmp_path):
    text = BILINGUAL.replace(
        "    scale: q\n", "    scale: q\n    translations: {fr: {title: Évaluation}}\n"
    )
    found = problems(write(tmp_path, text))
    assert any(
        p.endswith(
            ":28: criterion 'a': 'translations' is not a key of a rubric file;"
            " give each text as a map of languages, e.g. {en: …, fr: …}"
        )
        for p in found
    ), found


def test_a_language_key_read_as_true_or_false_is_named(tmp_path):
    # YAML reads an unquoted `no` (Norwegian) as false
    text = BILINGUAL.replace("languages: [en, fr]", "languages: [en, fr, 'no']").replace(
        "title: {en: Teaching, fr: Enseignement}", "title: {en: Teaching, fr: Enseignement, no: X}"
    )
    found = problems(write(tmp_path, text))
    assert any(
        ":4: rubric title: the language key False was read as a true/false value;"
        " quote it, e.g. 'no'" in p
        for p in found
    ), found


# --------------------------------------------------------------------------- content hash


def test_the_content_hash_covers_every_language(tmp_path):
    path = write(tmp_path, BILINGUAL)
    before = rubric_of(path).content_hash
    path.write_text(BILINGUAL.replace("Plan d'évaluation", "Programme d'évaluation"))
    assert rubric_of(path).content_hash != before
    path.write_text(BILINGUAL.replace("fr: Partiel", "fr: Partielle"))
    assert rubric_of(path).content_hash != before


def test_a_single_language_rubric_hashes_as_before_rubrics_had_translations(tmp_path):
    path = write(
        tmp_path,
        """\
        rubric: {id: one, version: "1", title: One language}
        scales:
          - id: q
            title: Q
            levels:
              - {value: 0, label: None, descriptor: Nothing.}
              - {value: 1, label: Some, descriptor: Something.}
        criteria:
          - {id: a, title: A, guidance: G, scale: q, evidence: [E1, E2]}
        thresholds:
          - {outcome: approved, min_score: 0.5}
          - {outcome: rejected, min_score: 0}
        """,
        "one.yaml",
    )
    r = rubric_of(path, "one")
    assert "translations" not in json.dumps(r.canonical())
    # the hash this file had before rubrics could carry translations
    assert r.content_hash == "68aab9541d68c20a5666fa5a5c4840f30c00b71694f77ea1c96ae1d448d21b3f"


# --------------------------------------------------------------------------- localisation


def test_localised_gives_every_text_in_the_language(tmp_path):
    r = rubric_of(write(tmp_path, BILINGUAL))
    fr = localised(r, "fr")
    assert (fr.meta.title, fr.meta.description, fr.meta.language) == (
        "Enseignement",
        "Deux langues.",
        "fr",
    )
    assert fr.scales["q"].title == "Qualité"
    assert [(lv.label, lv.descriptor) for lv in fr.scales["q"].levels] == [
        ("Aucun", "Rien n'est en place."),
        ("Partiel", "Quelque chose est en place."),
    ]
    c = fr.criteria[0].criterion
    assert (c.title, c.guidance, c.evidence) == (
        "Évaluation",
        "Chaque acquis est évalué.",
        ["Plan d'évaluation", "Règles de notation"],
    )
    # scoring data is untouched
    assert fr.criteria[0].effective_weight == r.criteria[0].effective_weight
    assert fr.thresholds == r.thresholds and fr.version == r.version


def test_a_language_tag_is_read_for_its_language(tmp_path):
    r = rubric_of(write(tmp_path, BILINGUAL))
    for tag in ("fr-CH", "FR", "fr_BE"):
        assert localised(r, tag).criteria[0].criterion.title == "Évaluation"


def test_english_only_for_a_language_the_rubric_does_not_declare(tmp_path):
    r = rubric_of(write(tmp_path, BILINGUAL))
    for lang in ("en", "sv"):
        shown = localised(r, lang)
        assert shown.meta.title == "Teaching" and shown.meta.language == "en"
        assert shown.criteria[0].criterion.title == "Assessment"
        assert shown.scales["q"].levels[0].label == "None"


def test_a_rubric_written_in_another_language_first(tmp_path):
    """A Czech rubric with an English translation: Czech for Czech readers, English for the
    others, never the other way round."""
    text = """\
    rubric:
      id: cz
      version: "1"
      title: {cs: Výuka, en: Teaching}
      language: cs
      languages: [cs, en]
    scales:
      - id: q
        levels:
          - {value: 0, label: {cs: Žádné, en: None}}
          - {value: 1, label: {cs: Částečné, en: Some}}
    criteria:
      - {id: a, title: {cs: Hodnocení, en: Assessment}, scale: q}
    thresholds:
      - {outcome: approved, min_score: 0.5}
      - {outcome: rejected, min_score: 0}
    """
    r = rubric_of(write(tmp_path, text, "cz.yaml"), "cz")
    assert r.meta.title == "Výuka"
    cs, en, fr = localised(r, "cs"), localised(r, "en"), localised(r, "fr")
    assert [cs.meta.title, cs.criteria[0].criterion.title, cs.scales["q"].levels[1].label] == [
        "Výuka",
        "Hodnocení",
        "Částečné",
    ]
    assert [en.meta.title, en.criteria[0].criterion.title, en.meta.language] == [
        "Teaching",
        "Assessment",
        "en",
    ]
    assert [fr.meta.title, fr.criteria[0].criterion.title, fr.meta.language] == [
        "Teaching",
        "Assessment",
        "en",
    ]


def test_an_included_rubric_with_fewer_languages_falls_back_to_english(tmp_path):
    write(tmp_path, BILINGUAL)
    write(
        tmp_path,
        """\
        rubric: {id: top, version: "1", title: {en: Top, fr: Haut, de: Oben},
                 languages: [en, fr, de]}
        includes:
          - {rubric: bi, weight: 1}
        thresholds:
          - {outcome: approved, min_score: 0.5}
          - {outcome: rejected, min_score: 0}
        """,
        "top.yaml",
    )
    r = rubric_of(tmp_path, "top")
    de = localised(r, "de")
    assert de.meta.title == "Oben"
    assert de.criteria[0].criterion.title == "Assessment"  # `bi` has no German
    assert localised(r, "fr").criteria[0].criterion.title == "Évaluation"


# --------------------------------------------------------------------------- shipped rubrics


def _texts(r: Rubric) -> list[tuple[str, Meta | Scale | Level | Criterion, list[str]]]:
    """(where, object, its English texts) for every translatable object of a rubric."""
    out: list[tuple[str, Meta | Scale | Level | Criterion, list[str]]] = [
        (f"{r.id} rubric", r.meta, [r.meta.title, r.meta.description])
    ]
    for sid, s in r.scales.items():
        out.append((f"scale {sid}", s, [s.title]))
        for lv in s.levels:
            out.append((f"scale {sid} level {lv.value}", lv, [lv.label, lv.descriptor]))
    for rc in r.criteria:
        c = rc.criterion
        out.append((f"criterion {c.id}", c, [c.title, c.guidance, *c.evidence]))
    return out


# texts that are the same word in English and in the language
SAME_AS_ENGLISH: set[tuple[str, str]] = set()

MICRO_CREDENTIAL = {
    "fr": "microcertificat",
    "de": "Microcredential",
    "cs": "mikrocertifikát",
    "pl": "mikropoświadcze",
    "it": "microcredenzial",
    "da": "mikroeksamensbevis",
}


@pytest.mark.parametrize("rubric_id", SHIPPED)
def test_shipped_rubrics_are_complete_in_the_seven_languages(rubric_id):
    lib = load_library([RUBRICS])
    assert lib.all_problems() == []
    r = lib.get(rubric_id)
    assert languages_of(r) == SEVEN
    assert r.version == "1.1.0"
    for lang in SEVEN[1:]:
        shown = localised(r, lang)
        assert shown.meta.language == lang
        english, local = _texts(r), _texts(shown)
        assert len(english) == len(local)
        for (where, _, en_texts), (_, _, texts) in zip(english, local, strict=True):
            assert len(texts) == len(en_texts), where
            for en_text, text in zip(en_texts, texts, strict=True):
                assert text.strip(), f"{where}: empty {lang} text"
                if en_text:
                    assert text != en_text or (lang, text) in SAME_AS_ENGLISH, (
                        f"{where}: the {lang} text is the English one: {text!r}"
                    )
        every = " ".join(t for _, _, texts in _texts(shown) for t in texts)
        assert MICRO_CREDENTIAL[lang] in every, (rubric_id, lang)
        if lang == "cs":
            assert set("ěščřžýáíéů") <= set(every), "Czech without its diacritics"
        if lang == "pl":
            assert set("ąćęłóśż") <= set(every), "Polish without its diacritics"


def test_shipped_scales_are_identical_in_every_language():
    lib = load_library([RUBRICS])
    scales = {rid: lib.get(rid).scales["quality-0-4"] for rid in SHIPPED}
    assert len({s.model_dump_json() for s in scales.values()}) == 1
    cs = localised(lib.get("esg-2015-part1"), "cs").scales["quality-0-4"]
    assert [lv.label for lv in cs.levels] == [
        "Neřešeno",
        "Počáteční",
        "Rozvíjející se",
        "Splňuje standard",
        "Příkladná",
    ]


def test_the_official_esg_and_eu_terms():
    lib = load_library([RUBRICS])
    esg, eu = lib.get("esg-2015-part1"), lib.get("eu-microcredentials-2022")
    expected = {
        "fr": "Apprentissage, enseignement et évaluation centrés sur l'étudiant",
        "de": "Studierendenzentriertes Lernen, Lehren und Prüfen",
        "cs": "Výuka, učení a hodnocení zaměřené na studenta",
        "pl": "Uczenie się, nauczanie i ocenianie zorientowane na studenta",
        "it": "Apprendimento, insegnamento e verifica incentrati sullo studente",
        "da": "Studentercentreret læring, undervisning og bedømmelse",
    }
    for lang, title in expected.items():
        shown = localised(esg, lang).criterion("esg-1.3")
        assert shown is not None and shown.criterion.title == title
    assert localised(eu, "pl").criterion("eu-p7").criterion.title == "Przenośność"  # type: ignore[union-attr]


def test_iso_639_1_codes():
    assert len(ISO_639_1) == 183
    assert set(SEVEN) <= ISO_639_1 and "xx" not in ISO_639_1


# --------------------------------------------------------------------------- versions


def test_the_diff_names_each_translation_reworded(tmp_path):
    old = rubric_of(write(tmp_path / "old", BILINGUAL))
    changed = (
        BILINGUAL.replace("fr: Partiel}", "fr: Partielle}")
        .replace("Plan d'évaluation", "Programme d'évaluation")
        .replace("languages: [en, fr]", "languages: [en, fr, de]")
        .replace("{en: Teaching, fr: Enseignement}", "{en: Teaching, fr: Enseignement, de: Lehre}")
    )
    new = load_library([write(tmp_path / "new", changed)]).get("bi")
    texts = [c.text for c in diff_rubrics(old, new).changes if c.area == "texts"]
    assert "languages: en, fr → en, fr, de" in texts
    assert "scale 'q' level 1: 'fr' label reworded" in texts
    assert "criterion 'a': 'fr' evidence reworded" in texts
    assert "rubric: 'de' title reworded" in texts
    # a new line break is no rewording
    rewrapped = BILINGUAL.replace(
        "fr: Chaque acquis est évalué.", "fr: |-\n        Chaque acquis\n        est évalué."
    )
    again = rubric_of(write(tmp_path / "wrapped", rewrapped))
    assert [c for c in diff_rubrics(old, again).changes if c.area == "texts"] == []


def test_a_translation_changed_in_place_is_refused_against_the_installed_set(tmp_path):
    shipped = RUBRICS / "esg-2015-part1.yaml"
    draft = tmp_path / "esg-2015-part1.yaml"
    text = shipped.read_text(encoding="utf-8")
    draft.write_text(text.replace("fr: Personnel enseignant", "fr: Enseignants", 1), "utf-8")
    found = [str(p) for p in check_drafts([draft], RUBRICS, RUBRICS).problems]
    assert found and "is also at" in found[0] and "with other content" in found[0], found
