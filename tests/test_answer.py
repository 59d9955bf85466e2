"""Extractive answers over the shipped library: cited, verbatim, and honest about gaps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.answer import FIXED_TEXTS
from bot.answer.extractive import cite
from bot.judge.replies import OUT_OF_SCOPE_TEXT
from bot.models import Answer, Filters, Question, Turn
from bot.pipeline import Pipeline
from bot.retrieve import standalone_query
from conftest import make_settings

MARKER = re.compile(r" \[(\d+)\]")

IN_SCOPE = [
    ("What is the phone number for the UK modern slavery helpline?", "UK"),
    ("Which ICD-10-CM code is used for suspected adult forced labour exploitation?", "US"),
    ("What are the signs that someone is in forced labour?", None),
    ("Can I promise the patient she will be safe if she tells me?", "UK"),
    ("Does an adult have to agree before I refer them to the National Referral Mechanism?", "UK"),
]


CITED = re.compile(r"(?P<body>.+?)(?P<marks>(?: \[\d+\])+)(?P<end>[.!?;:\"')\u201d\u2019]*)(?:\s+|$)", re.DOTALL)


def answer_sentences(answer: Answer) -> list[tuple[str, list[int]]]:
    """Each sentence of the text (markers removed) with the citation numbers it carries.

    Text left over between cited sentences comes back with no numbers, so it fails the test.
    """
    found: list[tuple[str, list[int]]] = []
    paragraphs = [p for p in answer.text.split("\n\n") if p.strip() not in FIXED_TEXTS]  # our own notes
    for paragraph in paragraphs:
        position = 0
        for match in CITED.finditer(paragraph):
            if match.start() != position:
                found.append((paragraph[position : match.start()].strip(), []))
            numbers = [int(n) for n in MARKER.findall(match.group("marks"))]
            found.append(((match.group("body") + match.group("end")).strip(), numbers))
            position = match.end()
        if paragraph[position:].strip():
            found.append((paragraph[position:].strip(), []))
    return found


@pytest.mark.parametrize(("question", "region"), IN_SCOPE)
def test_every_sentence_carries_a_valid_citation_whose_quote_is_in_its_evidence(
    library_pipeline: Pipeline, question: str, region: str | None
) -> None:
    answer = library_pipeline.answer(Question(question=question, region=region))

    assert not answer.flags.not_covered, answer.text
    evidence = {e.n: e for e in answer.evidence}
    citations = {c.n: c for c in answer.citations}
    sentences = answer_sentences(answer)
    assert sentences
    for sentence, numbers in sentences:
        assert numbers, f"uncited sentence: {sentence!r}"
        for n in numbers:
            assert n in evidence and n in citations, f"[{n}] is not in the evidence"
            assert sentence in evidence[n].text, f"{sentence!r} is not verbatim in evidence [{n}]"
    for n, citation in citations.items():
        assert citation.quote in evidence[n].text
        assert citation.source_id == evidence[n].source_id
        assert citation.url.startswith("https://")
    used = [n for _, numbers in sentences for n in numbers]
    assert list(dict.fromkeys(used)) == list(range(1, len(citations) + 1)), "numbered by first use"
    assert answer.timings.total_ms >= answer.timings.retrieve_ms > 0


@pytest.mark.parametrize(
    "question",
    [
        "How do I splint a broken ankle?",
        "What is the capital of France?",
        "Give me a recipe for banana bread.",
        "Which shares should I buy this year?",
    ],
)
def test_unrelated_questions_are_declined_and_invent_nothing(library_pipeline: Pipeline, question: str) -> None:
    answer = library_pipeline.answer(Question(question=question))
    assert answer.flags.out_of_scope and not answer.flags.not_covered, "outside the remit, so said as such"
    assert answer.text == OUT_OF_SCOPE_TEXT
    assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "region", "expected"),
    [
        ("Is there a number I can text about trafficking in America?", "US", "us-national-human-trafficking-hotline"),
        ("Who runs the Canadian trafficking helpline and is it open around the clock?", "CA", "canadian-human-trafficking-hotline"),
        ("His boss is holding on to his ID papers. Is that a sign of forced labour?", None, "ilo-indicators-forced-labour"),
        ("If a 15 year old agreed to go with them, can it still count as trafficking?", None, "un-palermo-protocol"),
        ("What share of NHS maternity staff had met a trafficked patient?", "UK", "protect-nhs-staff-trafficking-2015"),
        ("How should I get the patient alone when her partner will not step out of the exam room?", "US", "pearr-tool"),
        ("What does the 7th character A, D or S mean on the T74 and T76 codes?", "US", "icd10cm-human-trafficking-codes"),
        ("Someone says they are an adult but I think they are younger; what does the NHS guidance say?", "UK-England", "dhsc-health-staff-modern-slavery"),
    ],
)
def test_paraphrased_questions_retrieve_the_right_publication(
    library_pipeline: Pipeline, question: str, region: str | None, expected: str
) -> None:
    top = [e.source_id for e in library_pipeline.retriever.retrieve(question, region=region).evidence[:5]]
    assert expected in top, top


def test_region_keeps_other_jurisdictions_bound_sources_out(library_pipeline: Pipeline) -> None:
    answer = library_pipeline.answer(Question(question="Which hotline number should the patient call?", region="CA"))
    metadata = library_pipeline.index.metadata
    elsewhere = [e.source_id for e in answer.evidence if e.region not in {"CA", "CA-ON", "international"}]
    assert all(metadata[e.chunk_id]["applies"] == "universal" for e in answer.evidence if e.source_id in elsewhere), elsewhere
    assert "canadian-human-trafficking-hotline" in {c.source_id for c in answer.citations}
    assert "1-888-373-7888" not in answer.text and "08000 121 700" not in answer.text


def test_universal_guidance_is_searched_wherever_it_was_published(library_pipeline: Pipeline) -> None:
    """SAMHSA's trauma-informed principles (a US publication, practice guidance that holds anywhere)
    for a question with no region; a US law (the T visa) not for a UK clinician."""
    found = [e.source_id for e in library_pipeline.retriever.retrieve("What are the principles of a trauma-informed approach?").evidence[:5]]
    assert "samhsa-trauma-informed-approach-2014" in found
    uk = [e.source_id for e in library_pipeline.retriever.retrieve("Can she get a T visa?", region="UK").evidence]
    assert "uscis-t-visa" not in uk


def test_type_filter(library_pipeline: Pipeline) -> None:
    answer = library_pipeline.answer(
        Question(question="trafficking hotline number", region="US", filters=Filters(type=["hotline"]))
    )
    assert answer.evidence and {e.type for e in answer.evidence} == {"hotline"}


def test_evidence_has_no_near_duplicates(library_pipeline: Pipeline) -> None:
    answer = library_pipeline.answer(Question(question="What are the eleven ILO indicators of forced labour?"))
    texts = [e.text for e in answer.evidence]
    assert len(set(texts)) == len(texts)


def test_a_follow_up_borrows_the_previous_question() -> None:
    history = [Turn(role="user", content="What is the US trafficking hotline number?"), Turn(role="assistant", content="...")]
    assert standalone_query("Can they text it instead?", history).startswith("What is the US trafficking hotline")
    assert standalone_query("What are the ILO indicators of forced labour?", history) == (
        "What are the ILO indicators of forced labour?"
    )
    assert standalone_query("Can they text it?", []) == "Can they text it?"


def test_follow_up_question_is_answered_in_context(library_pipeline: Pipeline) -> None:
    history = [
        Turn(role="user", content="What is the US National Human Trafficking Hotline number?"),
        Turn(role="assistant", content="Call 1-888-373-7888."),
    ]
    answer = library_pipeline.answer(Question(question="Can patients text it instead?", region="US", history=history))
    assert "us-national-human-trafficking-hotline" in {c.source_id for c in answer.citations}
    assert "233733" in answer.text


def test_cite_places_the_marker_before_closing_punctuation() -> None:
    assert cite("Call 999.", 2) == "Call 999 [2]."
    assert cite('It says "ask".', 1) == 'It says "ask" [1].'
    assert cite("The same number (see above).", 4) == "The same number (see above) [4]."
    assert cite("No punctuation", 3) == "No punctuation [3]"


def test_a_many_part_question_is_also_searched_part_by_part() -> None:
    from bot.retrieve import question_parts

    assert question_parts("What is the UK helpline number?") == ["What is the UK helpline number?"]
    whole = "She says she is 19 but looks about 15. What is the first step?"
    assert question_parts(whole) == [whole, "She says she is 19 but looks about 15."], "vague parts are not searched alone"


def test_parts_lift_a_compound_question_above_the_not_covered_line(library_pipeline: Pipeline) -> None:
    answer = library_pipeline.answer(
        Question(question="She says she is 19 but looks about 15. How should I treat her?", region="UK-England")
    )
    assert not answer.flags.not_covered
    assert "dhsc-health-staff-modern-slavery" in {c.source_id for c in answer.citations}


def test_the_clinicians_own_jurisdiction_is_boosted_but_international_still_counts(library_dir: Path) -> None:
    from bot.index import Index
    from bot.retrieve import Retriever

    question = "How do I make a referral for a patient who may be a victim of trafficking?"
    index = Index(make_settings(library_dir))
    flat = Retriever(index, make_settings(library_dir, region_boost=0.0)).retrieve(question, region="UK").evidence
    boosted = Retriever(index, make_settings(library_dir)).retrieve(question, region="UK").evidence

    def regional(evidence: list) -> int:
        return sum(e.region.startswith("UK") for e in evidence)

    assert regional(boosted) > regional(flat), ([e.region for e in flat], [e.region for e in boosted])
    uk_and_up = {"UK", "UK-England", "UK-Wales", "UK-Scotland", "UK-NI", "Europe", "international"}
    assert all(index.metadata[e.chunk_id]["applies"] == "universal" for e in boosted if e.region not in uk_and_up)


def test_another_countrys_hotline_is_never_quoted_as_a_number_to_call(library_pipeline: Pipeline) -> None:
    """Universal guidance published in the US may name the US hotline; a UK clinician's answer and
    an answer with no region leave such sentences out (the escalation block has its own rule)."""
    from bot.referrals import numbers_foreign_to

    referrals = library_pipeline.referrals
    assert "18883737888" in numbers_foreign_to(referrals, "UK") and "18883737888" in numbers_foreign_to(referrals, None)
    assert "18883737888" not in numbers_foreign_to(referrals, "US")
    for region in ("UK", None):
        answer = library_pipeline.answer(Question(question="How do I screen for trafficking with the PEARR tool, and who do I call?", region=region))
        assert "1-888-373-7888" not in answer.text and "233733" not in answer.text, answer.text
