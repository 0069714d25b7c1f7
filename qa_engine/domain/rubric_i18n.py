"""Rubrics in several languages: reading the per-language texts of a rubric file, checking that
every declared language is complete, and giving a rubric in one reader's language.

In a rubric file (see ``rubrics/README.md``) the rubric declares its languages
(``languages: [en, fr, de]``, the first text language being ``language``, default ``en``), and
every translatable text is either plain text (a single-language rubric) or a map from language
code to text (``title: {en: Teaching staff, fr: Personnel enseignant}``). The loader calls
`split_translations` on the file's data before the model is built: each map becomes the text in
the rubric's own language, and the other languages go to the object's ``translations``
(language -> field -> text), which the content hash covers. `localised` gives the rubric with
every text in one language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from qa_engine.domain.i18n import N_
from qa_engine.domain.rubric import Criterion, Level, Meta, ResolvedCriterion, Rubric, Scale

# ISO 639-1: the two-letter language codes
ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
    """.split()
)

# the language a text falls back to when a reader's language is not one the rubric declares
FALLBACK = "en"

# the texts that carry translations, per kind of object
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "rubric": ("title", "description"),
    "scale": ("title",),
    "level": ("label", "descriptor"),
    "criterion": ("title", "guidance"),
}
LIST_FIELDS: dict[str, tuple[str, ...]] = {"criterion": ("evidence",)}

# (line, msgid, values): the loader turns these into its `Problem`s with the file's name (the
# msgids are marked for the catalogs: a page shows them in the reader's language)
Found = list[tuple[int, str, dict[str, object]]]
_NOT_ISO = N_(
    "%(what)s: '%(code)s' is not an ISO 639-1 language code (two lower-case letters, e.g. 'en',"
    " 'fr', 'cs')"
)
LineOf = Callable[[Sequence[Any]], int]
Path_ = tuple[str | int, ...]


def _codes(codes: Sequence[str]) -> str:
    return ", ".join(codes)


def declared_languages(data: dict[str, Any], line_of: LineOf) -> tuple[list[str], Found]:
    """The languages a rubric file declares (its `language` first) and the problems with them."""
    found: Found = []
    meta = data.get("rubric")
    if not isinstance(meta, dict):
        return [FALLBACK], found
    base = meta.get("language", FALLBACK)
    if not isinstance(base, str):
        return [FALLBACK], found  # the model reports the wrong type on its line
    if base not in ISO_639_1:
        found.append(
            (
                line_of(("rubric", "language")),
                _NOT_ISO,
                {"what": "rubric language", "code": base},
            )
        )
    listed = meta.get("languages")
    if listed is None:
        return [base], found
    if not isinstance(listed, list):
        found.append(
            (
                line_of(("rubric", "languages")),
                N_("rubric languages: give a list of ISO 639-1 codes, e.g. [en, fr, de]"),
                {},
            )
        )
        return [base], found
    out = [base]
    for i, code in enumerate(listed):
        line = line_of(("rubric", "languages", i))
        if not isinstance(code, str) or code not in ISO_639_1:
            found.append(
                (
                    line,
                    N_(
                        "rubric languages: '%(code)s' is not an ISO 639-1 language code"
                        " (two lower-case letters, e.g. 'en', 'fr', 'cs'; quote 'no')"
                    ),
                    {"code": code},
                )
            )
        elif code in listed[:i]:
            found.append((line, N_("rubric languages: '%(code)s' is listed twice"), {"code": code}))
        elif code != base:
            out.append(code)
    if base not in listed:
        found.append(
            (
                line_of(("rubric", "languages")),
                N_("rubric languages must include the rubric's language '%(code)s'"),
                {"code": base},
            )
        )
    return out, found


def split_translations(data: dict[str, Any], line_of: LineOf) -> tuple[dict[str, Any], Found]:
    """The data of a rubric file with each per-language text replaced by the text in the
    rubric's language and the others moved to the object's `translations`; and every missing,
    empty, undeclared or misspelt translation, each on the line of the text concerned.

    The data given is left unchanged. Values of an unexpected shape are left for the model to
    report on their line.
    """
    languages, found = declared_languages(data, line_of)
    base = languages[0]
    out = dict(data)

    def split(obj: Any, path: Path_, kind: str, what: str) -> Any:
        if not isinstance(obj, dict):
            return obj
        obj = dict(obj)
        if "translations" in obj:
            found.append(
                (
                    line_of((*path, "translations")),
                    N_(
                        "%(what)s: 'translations' is not a key of a rubric file;"
                        " give each text as a map of languages, e.g. {en: …, fr: …}"
                    ),
                    {"what": what},
                )
            )
            del obj["translations"]
        # every declared language, the rubric's own too (an included rubric may have another)
        several = len(languages) > 1
        tr: dict[str, dict[str, Any]] = {lang: {} for lang in languages if several}
        for fld in TEXT_FIELDS.get(kind, ()):
            if fld in obj:
                obj[fld], texts = _one(obj[fld], (*path, fld), f"{what} {fld}")
                for lang, text in texts.items():
                    if lang in tr:
                        tr[lang][fld] = text
        for fld in LIST_FIELDS.get(kind, ()):
            items = obj.get(fld)
            if not isinstance(items, list):
                continue
            base_items: list[Any] = []
            per_lang: dict[str, list[str]] = {lang: [] for lang in languages if several}
            for k, item in enumerate(items):
                text, texts = _one(item, (*path, fld, k), f"{what} {fld} {k + 1}")
                base_items.append(text)
                for lang in per_lang:
                    per_lang[lang].append(texts.get(lang, text if isinstance(text, str) else ""))
            obj[fld] = base_items
            if items:
                for lang, texts_of_lang in per_lang.items():
                    tr[lang][fld] = texts_of_lang
        translations = {lang: texts for lang, texts in tr.items() if texts}
        if translations:
            obj["translations"] = translations
        return obj

    def _one(value: Any, path: Path_, what: str) -> tuple[Any, dict[str, str]]:
        """The text in the rubric's language, and the other languages' texts."""
        line = line_of(path)
        if isinstance(value, str):
            missing = languages[1:]
            if missing:
                found.append(_missing(line, what, missing))
            return value, {}
        if not isinstance(value, dict):
            return value, {}  # the model says what it should be
        texts: dict[str, str] = {}
        for lang, text in value.items():
            at = line_of((*path, lang))
            if not isinstance(lang, str) or lang in ("True", "False"):
                found.append(
                    (
                        at,
                        N_(
                            "%(what)s: the language key %(key)s was read as a true/false value;"
                            " quote it, e.g. 'no'"
                        ),
                        {"what": what, "key": lang},
                    )
                )
                continue
            if lang not in ISO_639_1:
                found.append((at, _NOT_ISO, {"what": what, "code": lang}))
                continue
            if lang not in languages:
                found.append(
                    (
                        at,
                        N_(
                            "%(what)s has a '%(code)s' translation, but the rubric does not"
                            " declare '%(code)s' (languages: %(languages)s); add it to the"
                            " rubric's languages or remove the text"
                        ),
                        {"what": what, "code": lang, "languages": _codes(languages)},
                    )
                )
                continue
            if not isinstance(text, str):
                found.append(
                    (
                        at,
                        N_("%(what)s: the '%(code)s' text must be text, not a list or map"),
                        {"what": what, "code": lang},
                    )
                )
                continue
            if not text.strip():
                found.append(
                    (
                        at,
                        N_("%(what)s: the '%(code)s' translation is empty"),
                        {"what": what, "code": lang},
                    )
                )
                continue
            texts[lang] = text
        missing = [lang for lang in languages if lang not in value]
        if missing:
            found.append(_missing(line, what, missing))
        first = next(iter(texts.values()), "")
        return texts.get(base, first), texts

    meta = out.get("rubric")
    if isinstance(meta, dict):
        out["rubric"] = split(meta, ("rubric",), "rubric", "rubric")
    scales = out.get("scales")
    if isinstance(scales, list):
        new_scales: list[Any] = []
        for i, scale in enumerate(scales):
            sid = scale.get("id", i + 1) if isinstance(scale, dict) else i + 1
            s = split(scale, ("scales", i), "scale", f"scale '{sid}'")
            if isinstance(s, dict) and isinstance(s.get("levels"), list):
                s["levels"] = [
                    split(
                        level,
                        ("scales", i, "levels", j),
                        "level",
                        f"scale '{sid}' level "
                        + str(level.get("value", j) if isinstance(level, dict) else j),
                    )
                    for j, level in enumerate(s["levels"])
                ]
            new_scales.append(s)
        out["scales"] = new_scales
    criteria = out.get("criteria")
    if isinstance(criteria, list):
        out["criteria"] = [
            split(
                c,
                ("criteria", i),
                "criterion",
                f"criterion '{c.get('id', i + 1) if isinstance(c, dict) else i + 1}'",
            )
            for i, c in enumerate(criteria)
        ]
    return out, found


def _missing(line: int, what: str, langs: Sequence[str]) -> tuple[int, str, dict[str, object]]:
    quoted = ", ".join(f"'{lang}'" for lang in langs)
    if len(langs) == 1:
        return line, N_("%(what)s has no %(codes)s translation"), {"what": what, "codes": quoted}
    return line, N_("%(what)s has no %(codes)s translations"), {"what": what, "codes": quoted}


# --------------------------------------------------------------------------- reading


def languages_of(rubric: Rubric) -> list[str]:
    """The languages a rubric declares, its own text language first."""
    return _meta_languages(rubric.meta)


def _meta_languages(meta: Meta) -> list[str]:
    return [meta.language, *(lang for lang in meta.languages if lang != meta.language)]


_M = TypeVar("_M", Meta, Scale, Level, Criterion)


def _in(obj: _M, lang: str) -> _M:
    """The object with its texts in `lang`; in English when it has no `lang` texts (the rubric
    does not declare `lang`), and in its own language when it has no English either."""
    texts = obj.translations.get(lang) or obj.translations.get(FALLBACK) or {}
    return obj.model_copy(update={**texts, "translations": {}})


def localised(rubric: Rubric, lang: str) -> Rubric:
    """The rubric with every text (titles, description, guidance, evidence, scale labels and
    descriptors) in `lang` (an ISO 639-1 code or a tag such as `fr-CH`), for a reader of that
    language.

    A declared language is complete (the loader checks it), so the texts are all in `lang`; for a
    language the rubric (or an included rubric) does not declare, they are in English, the
    alliance's working language. The result carries no translations: score with it, show it,
    but keep the content hash of the rubric as loaded (`Rubric.content_hash`), which covers every
    language.
    """
    lang = primary_language(lang)
    declared = languages_of(rubric)
    shown = lang if lang in declared else FALLBACK if FALLBACK in declared else declared[0]
    meta = _in(rubric.meta, lang).model_copy(update={"language": shown})
    scales = {
        sid: _in(scale, lang).model_copy(update={"levels": [_in(lv, lang) for lv in scale.levels]})
        for sid, scale in rubric.scales.items()
    }
    criteria = [_criterion_in(rc, lang) for rc in rubric.criteria]
    return rubric.model_copy(update={"meta": meta, "scales": scales, "criteria": criteria})


def primary_language(tag: str) -> str:
    """The language of a language tag as browsers and accounts give it: `fr-CH`, `pt_BR`, `CS`
    -> `fr`, `pt`, `cs`."""
    return tag.strip().replace("_", "-").split("-")[0].lower()


def _criterion_in(rc: ResolvedCriterion, lang: str) -> ResolvedCriterion:
    return rc.model_copy(update={"criterion": _in(rc.criterion, lang)})


# --------------------------------------------------------------------------- comparing


def translation_changes(old: Rubric, new: Rubric) -> list[str]:
    """In words, what changed in the translations between two versions of a rubric: languages
    declared or dropped, and the texts reworded in a language other than the rubric's own (whose
    texts the rubric diff compares itself), object by object."""
    out: list[str] = []
    before, after = languages_of(old), languages_of(new)
    if before != after:
        out.append(f"languages: {', '.join(before)} → {', '.join(after)}")
    own = {before[0], after[0]}

    def compare(what: str, a: _M, b: _M) -> None:
        for lang in sorted(set(a.translations) | set(b.translations)):
            if lang in own:
                continue
            ta, tb = a.translations.get(lang, {}), b.translations.get(lang, {})
            changed = [
                f for f in sorted(set(ta) | set(tb)) if _words(ta.get(f)) != _words(tb.get(f))
            ]
            if changed:
                out.append(f"{what}: '{lang}' {', '.join(changed)} reworded")

    compare("rubric", old.meta, new.meta)
    for sid, scale in new.scales.items():
        if sid in old.scales:
            compare(f"scale '{sid}'", old.scales[sid], scale)
            before_levels = {lv.value: lv for lv in old.scales[sid].levels}
            for lv in scale.levels:
                if lv.value in before_levels:
                    compare(f"scale '{sid}' level {lv.value}", before_levels[lv.value], lv)
    old_criteria = {rc.id: rc.criterion for rc in old.criteria}
    for rc in new.criteria:
        if rc.id in old_criteria:
            compare(f"criterion '{rc.id}'", old_criteria[rc.id], rc.criterion)
    return out


def _words(text: str | list[str] | None) -> list[str]:
    """A text (or a list of texts) as its words: a change of line breaks is no rewording."""
    if text is None:
        return []
    if isinstance(text, str):
        return text.split()
    return [" ".join(t.split()) for t in text]
