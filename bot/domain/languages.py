"""Reading the languages members type ("Spanish", "es", "español", "Farsi") into one code each.

Codes are the bare language subtag as langcodes standardises it (macrolanguages folded, so
"Mandarin" and "zh" are one language, "tl" becomes "fil"): two members match on a language when
their codes are equal. Regions and scripts are dropped; a mentor who speaks Portuguese can help
someone who asked for Brazilian Portuguese.
"""

from __future__ import annotations

from functools import cache

import langcodes

from bot.errors import InvalidInput

ENGLISH = "en"
MAX_LANGUAGES = 10
_MAX_NAME = 40


@cache
def normalise_language(raw: str) -> str | None:
    """The language code for a name or an ISO 639 code, or None if it is not a language."""
    text = " ".join(raw.split())
    if not text or len(text) > _MAX_NAME:
        return None
    try:
        if langcodes.tag_is_valid(text):
            tag = langcodes.standardize_tag(text, macro=True)
        else:
            tag = langcodes.standardize_tag(str(langcodes.find(text)), macro=True)
        code = langcodes.Language.get(tag).language
    except (LookupError, ValueError, AttributeError):
        # langcodes raises LookupError for unknown names, ValueError for malformed tags and
        # AttributeError for the empty "und" tag.
        return None
    if code is None or code == "und" or _is_placeholder(code):
        return None
    return code


def _is_placeholder(code: str) -> bool:
    # Private-use codes (qaa–qtz) and codes langcodes has no name for are not languages a
    # member could recognise in an offer.
    return language_name(code).startswith("Unknown language")


@cache
def language_name(code: str) -> str:
    """The English name of a language code: "es" → "Spanish"."""
    return str(langcodes.Language.get(code).display_name())


def parse_language(raw: str) -> str:
    code = normalise_language(raw)
    if code is None:
        raise InvalidInput(
            f"I don't recognise `{_shown(raw)}` as a language. Please use its name in English "
            "or its two-letter code, for example `Spanish` or `es`."
        )
    return code


def parse_languages(raw: str | None) -> tuple[str, ...]:
    """A comma-separated list of languages; English when nothing is given. Order is kept."""
    if raw is None or not raw.strip():
        return (ENGLISH,)
    pieces = [piece for piece in (p.strip() for p in raw.split(",")) if piece]
    if not pieces:
        return (ENGLISH,)
    if len(pieces) > MAX_LANGUAGES:
        raise InvalidInput(f"Please list at most {MAX_LANGUAGES} languages.")
    codes: dict[str, None] = {}
    for piece in pieces:
        codes.setdefault(parse_language(piece), None)
    return tuple(codes)


def describe_languages(codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(language_name(code) for code in codes)


def _shown(raw: str) -> str:
    text = raw.strip().replace("`", "'")
    return text if len(text) <= _MAX_NAME and text.isprintable() else "that"
