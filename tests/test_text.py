from bot.text import is_answer_sentence, split_sentences, tokens


def test_sentences_are_verbatim_substrings() -> None:
    text = (
        "Call the helpline on 08000 121 700. Staff, e.g. nurses, may call it too! Is it free? Yes.\n"
        "- A bullet that is a sentence.\n"
        "1. A numbered step, as in No. 787 of the series.\n"
        "## A heading is not a sentence\n"
    )
    sentences = split_sentences(text)
    assert sentences == [
        "Call the helpline on 08000 121 700.",
        "Staff, e.g. nurses, may call it too!",
        "Is it free?",
        "Yes.",
        "A bullet that is a sentence.",
        "A numbered step, as in No. 787 of the series.",
    ]
    assert all(s in text for s in sentences)


def test_decimals_and_codes_do_not_split() -> None:
    assert split_sentences("Use T76.61XA for a suspected case. Then add Z04.82 if ruled out.") == [
        "Use T76.61XA for a suspected case.",
        "Then add Z04.82 if ruled out.",
    ]


def test_lead_ins_and_fragments_are_not_answer_sentences() -> None:
    assert not is_answer_sentence("Red flags include:")
    assert not is_answer_sentence("Yes.")
    assert is_answer_sentence("Speak with the patient alone, without the companion.")


def test_tokens_drop_stopwords_and_fold_plurals() -> None:
    assert tokens("The victims were interpreting") == tokens("victim interpret")
