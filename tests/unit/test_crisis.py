"""Crisis phrases: what is flagged for a human, and the idioms deliberately left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.crisis import PHRASES, crisis_phrases_in, fold, mentions_crisis

TRUE_POSITIVES = [
    # English
    ("I want to die", "want-to-die"),
    ("honestly i just wanna die tonight", "want-to-die"),
    ("I've been thinking about suicide", "suicide"),
    ("Feeling SUICIDAL again.", "suicide"),
    ("I'm not suicidal, just tired", "suicide"),  # negation is not parsed: a human reads it
    ("I want to kill myself", "kill-oneself"),
    ("thinking of killing my self", "kill-oneself"),
    ("this craving makes me want to kill myself", "kill-oneself"),
    ("I'm scared I'll hurt myself", "hurt-oneself"),
    ("urge to self-harm is back", "hurt-oneself"),
    ("I cut myself last night", "hurt-oneself"),
    ("I might overdose", "overdose"),
    ("my friend overdosed last week", "overdose"),  # about someone else: still for a human
    ("there's no reason to live", "no-reason-to-live"),
    ("I don’t want to live anymore", "not-want-to-live"),  # curly apostrophe
    ("I dont want to wake up", "not-want-to-live"),
    ("everyone would be better off if I was... better off dead", "better-off-dead"),
    ("I want to end my life", "end-life"),
    ("some days I wish I was dead", "wish-dead"),
    ("I don't want to be here anymore", "not-be-here"),
    ("I just want to end it all", "end-life"),
    # Spanish
    ("Quiero matarme", "es-matarme"),
    ("me voy a matar", "es-matarme"),
    ("Me quiero morir", "es-quiero-morir"),
    ("ya no quiero vivir", "es-no-quiero-vivir"),
    ("NO QUIERO SEGUIR VIVIENDO", "es-no-quiero-vivir"),
    ("pienso en el suicidio", "es-suicidio"),
    ("he pensado en suicidarme", "es-suicidio"),
    ("quiero quitarme la vida", "es-quitarme-la-vida"),
    ("tengo ganas de hacerme daño", "es-hacerme-dano"),
    ("miedo a una sobredosis", "es-sobredosis"),
    ("No tengo razón para vivir", "es-sin-razon-para-vivir"),
    ("estaría mejor muerta", "es-mejor-muerto"),
]

NOT_CRISIS = [
    "this craving is killing me",  # idiom about the craving: the craving score covers it
    "these cravings are killing me today",
    "I'm dying for a drink",
    "that cheesecake was to die for",
    "I'd kill for a cigarette right now",
    "my diet is going ok, dieting is hard",
    "we killed it at group today",
    "I can't go on like this",  # vague distress: mood score and the support box cover it
    "ran 5 kms this morning",
    "me muero de ganas de beber",  # Spanish idiom: "I'm dying to drink"
    "me mata la ansiedad",  # "anxiety is killing me"
    "feeling great, 30 days today!",
    "",
]


# Flagged although nobody is in danger: self-directed phrases said lightly or about an accident.
# We accept these (see the module docstring): a human reads the note and stands it down.
ACCEPTED_FALSE_ALARMS = [
    ("I cut myself cooking dinner", "hurt-oneself"),
    ("that comedian, I'll kill myself laughing", "kill-oneself"),
    ("me quiero morir de vergüenza", "es-quiero-morir"),
    ("overdosed on chocolate cake lol", "overdose"),
]


@pytest.mark.parametrize(("text", "key"), ACCEPTED_FALSE_ALARMS)
def test_light_uses_of_self_directed_phrases_are_flagged_on_purpose(text: str, key: str) -> None:
    assert crisis_phrases_in(text) == (key,)


@pytest.mark.parametrize(("text", "key"), TRUE_POSITIVES)
def test_crisis_language_is_flagged(text: str, key: str) -> None:
    assert key in crisis_phrases_in(text)
    assert mentions_crisis(text)


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_idioms_and_ordinary_notes_are_not_flagged(text: str) -> None:
    assert crisis_phrases_in(text) == ()
    assert not mentions_crisis(text)


def test_no_note_is_not_crisis() -> None:
    assert not mentions_crisis(None)


def test_folding_removes_case_accents_and_punctuation() -> None:
    assert fold("  Razón…  ¿DAÑO?! ") == "razon dano"
    assert fold("don’t") == "don't"


def test_every_phrase_has_a_unique_key_and_both_languages_are_covered() -> None:
    keys = [phrase.key for phrase in PHRASES]
    assert len(keys) == len(set(keys))
    assert {phrase.language for phrase in PHRASES} == {"en", "es"}
    flagged = {key for text, _ in TRUE_POSITIVES for key in crisis_phrases_in(text)}
    assert flagged == set(keys), "every phrase on the list is exercised by a true positive"


def test_phrases_need_word_boundaries() -> None:
    assert not mentions_crisis("suicidesqueeze")  # a made-up word that only contains it
    assert not mentions_crisis("nosobredosis")
    assert mentions_crisis("suicide.")


@given(
    st.sampled_from([text for text, _ in TRUE_POSITIVES]),
    st.text(alphabet=" ,.!?\n", max_size=3),
    st.text(alphabet=" ,.!?\n", max_size=3),
)
def test_surrounding_punctuation_and_case_do_not_hide_a_phrase(
    text: str, before: str, after: str
) -> None:
    assert mentions_crisis(f"{before}{text.upper()}{after}")
    assert mentions_crisis(f"{before}{text.lower()}{after}")
