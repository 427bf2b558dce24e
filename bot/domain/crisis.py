"""Crisis language in a check-in or /sos note: a flag for humans, never a verdict on the member.

A match makes the alert urgent (shorter escalation timings) and shows the member the crisis card
first. The member is never told that their words were "detected": the card is offered as
something that is always there. Nothing here is logged, not even which phrase matched.

How text is compared: case-folded, accents removed ("razón" = "razon", "daño" = "dano"), curly
apostrophes straightened and every run of other punctuation or spaces read as one space; each
phrase must start and end on a word boundary, so "overdosed" matches but "dieting" never
matches "die".

What we decided about the hard cases (each is tested both ways in tests/unit/test_crisis.py):
- Idioms about the craving itself ("this craving is killing me", "I'm dying for a drink",
  "to die for") are NOT flagged: the phrases are self-directed ("kill myself", "want to die").
  A strong craving is already caught by the craving score, and flagging every idiom would
  teach mentors to ignore urgent alerts. The same idiom next to a self-directed phrase ("this
  craving makes me want to kill myself") is flagged.
- Naming suicide or an overdose at all IS flagged, even about someone else ("my friend
  overdosed") or negated ("I'm not suicidal"): we do not try to parse negation, a human reads
  the note, and a false alarm costs a mentor a minute while a miss can cost much more.
- Vague distress ("I can't go on like this", "I want to disappear") is not on the list: it is
  common in recovery talk and belongs with the mood score and the "I'd like support" box.
- Accepted false alarms: a self-directed phrase used lightly or about an accident ("I cut
  myself cooking", "I'll kill myself laughing", "me quiero morir de vergüenza") is flagged.
  Telling those apart needs a reader; the cost of asking a mentor to look is small.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "es"]


@dataclass(frozen=True, slots=True)
class CrisisPhrase:
    key: str
    language: Language
    pattern: str  # a regex over folded text; word boundaries are added around it


# Patterns are written for folded text: lower case, no accents, "'" as the only apostrophe,
# single spaces. `(?:...)` groups keep them readable; inflections are listed explicitly.
PHRASES: tuple[CrisisPhrase, ...] = (
    # English
    CrisisPhrase("want-to-die", "en", r"(?:want|wanted|wants|wanting|wanna) (?:to )?die"),
    CrisisPhrase("wish-dead", "en", r"wish (?:i was|i were|i was just|i were just) dead"),
    CrisisPhrase("better-off-dead", "en", r"(?:better off|be better) dead"),
    CrisisPhrase("suicide", "en", r"suicid(?:e|es|al|ally)"),
    CrisisPhrase(
        "kill-oneself",
        "en",
        r"(?:kill|killing|killed|off|offing|end|ending|ended) my ?self",
    ),
    CrisisPhrase(
        "end-life",
        "en",
        r"(?:end|ending|take|taking) (?:my|my own) life|end it all|ending it all",
    ),
    CrisisPhrase(
        "hurt-oneself",
        "en",
        r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning) my ?self|self ?harm(?:ing)?",
    ),
    CrisisPhrase("overdose", "en", r"over ?dos(?:e|es|ed|ing)"),
    CrisisPhrase(
        "no-reason-to-live",
        "en",
        r"(?:no|nothing to|no more) reasons? (?:left )?to (?:live|go on|keep going)",
    ),
    CrisisPhrase(
        "not-want-to-live",
        "en",
        r"(?:don't|do not|dont|didn't|did not) want to (?:live|be alive|wake up|exist)"
        r"(?: anymore| any more)?",
    ),
    CrisisPhrase("not-be-here", "en", r"(?:don't|do not|dont) want to be here anymore"),
    # Spanish
    CrisisPhrase("es-matarme", "es", r"matarme|me (?:voy a|quiero|podria) matar"),
    CrisisPhrase(
        "es-quiero-morir", "es", r"(?:quiero|quisiera|me quiero|me gustaria) morir(?:me)?"
    ),
    CrisisPhrase("es-no-quiero-vivir", "es", r"no (?:quiero|quisiera) (?:seguir )?vivi(?:r|endo)"),
    CrisisPhrase("es-suicidio", "es", r"suicid(?:io|arme|arse|a|as|al)"),
    CrisisPhrase(
        "es-quitarme-la-vida",
        "es",
        r"quitarme la vida|acabar con (?:mi vida|todo)|terminar con mi vida",
    ),
    CrisisPhrase(
        "es-hacerme-dano", "es", r"hacerme (?:dano|mal)|lastimarme|cortarme|herirme|autolesion\w*"
    ),
    CrisisPhrase("es-sobredosis", "es", r"sobredosis"),
    CrisisPhrase(
        "es-sin-razon-para-vivir",
        "es",
        r"(?:no tengo|no hay|sin|ninguna) (?:ninguna )?razon(?:es)? para (?:vivir|seguir)",
    ),
    CrisisPhrase(
        "es-mejor-muerto",
        "es",
        r"(?:estaria|estarian|seria) mejor (?:estar )?muert[oa]s?|mejor estar muert[oa]s?",
    ),
)

_COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (phrase.key, re.compile(rf"(?<!\w)(?:{phrase.pattern})(?!\w)")) for phrase in PHRASES
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SEPARATORS = re.compile(r"[^\w']+")


def fold(text: str) -> str:
    """Text as the phrases are written: lower case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", stripped.casefold()).strip()


def crisis_phrases_in(text: str | None) -> tuple[str, ...]:
    """The keys of the phrases found in `text` (for tests and the alert's reason; never logged)."""
    if not text:
        return ()
    folded = fold(text)
    return tuple(key for key, pattern in _COMPILED if pattern.search(folded))


def mentions_crisis(text: str | None) -> bool:
    """Whether `text` holds crisis language, so the alert it raises is urgent."""
    return bool(crisis_phrases_in(text))
