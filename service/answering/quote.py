"""Quote: the sentences of the chosen passage that answer the question, in the article's own words.

The best sentence, any sentence of the same paragraph or list item scoring nearly as well, the sentence it
needs to make sense ("This..." needs the one before), and the list item that completes a lead-in ending in
':'. A table row is quoted as the reader stated it, with its header.
Never a heading, a question, a fragment, a call to action or a line of page chrome.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from index.promo import is_promotional
from service.answering.score import Hit
from service.answering.tuning import Tuning

_ANAPHORA = re.compile(r"^(this|these|that|those|it|its|they|their|such|here|then|if so|as a result|however|"
                       r"otherwise|instead)\b", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!:;…][\"'”’)\]]*\s*$")
MIN_WORDS = 4


def quotable(sentence: str, in_list: bool = False) -> bool:
    """A sentence that may stand in an answer: a statement, not a question, a label or a plug.

    Outside a list a statement ends like one; a bare label ("Service", "Bone graft extra, see our page") does not.
    """
    text = sentence.strip()
    if text.rstrip("\"'”’) ").endswith("?") or len(text.split()) < MIN_WORDS or is_promotional(text):
        return False
    return in_list or bool(_TERMINAL.search(text))


_ASKS_FOR_SEVERAL = re.compile(r"^\s*(?:what|which)\b|^\s*how (?:do|can|should) (?:i|we|you)\b", re.IGNORECASE)


def selection_scores(hit: Hit, tuning: Tuning) -> list[float]:
    """How well each sentence answers, for choosing within the passage: the fact asked for counts extra."""
    return [score + tuning.quote_shape_bonus * shaped for score, shaped in zip(hit.sentence_scores, hit.sentence_shape,
                                                                             strict=True)]


def quote(hit: Hit, tuning: Tuning, already_said: Iterable[str] = (), question: str = "") -> list[str]:
    """The one to `max_sentences` sentences of the hit's passage that answer the question, in reading order.

    Sentences already quoted earlier in the conversation are passed over when the passage has others. A list
    is quoted with its lead-in when the question asks for several things ("what should I bring?").
    """
    passage = hit.passage
    sentences, scores = passage.sentences, selection_scores(hit, tuning)
    said = " ".join(already_said)
    candidates = [i for i, s in enumerate(sentences) if passage.row or quotable(s, passage.unit_of(i) > 0)]
    if not candidates:
        return []
    candidates = [i for i in candidates if sentences[i] not in said] or candidates
    best = max(candidates, key=lambda i: scores[i])
    unit = passage.unit_of(best)
    room = tuning.max_sentences
    if passage.item_starts and (unit > 0 or (sentences[best].rstrip().endswith(":")
                                             and _ASKS_FOR_SEVERAL.search(question))):
        return _list_answer(hit, candidates, scores, room)
    close = sorted((i for i in candidates
                    if passage.unit_of(i) == unit and scores[i] >= scores[best] - tuning.close_sentence),
                   key=lambda i: -scores[i])
    chosen = set(close[:room])
    for i in sorted(chosen):
        # A sentence that opens with "This"/"These"... needs the one before it to make sense.
        if _ANAPHORA.match(sentences[i]) and i > 0 and passage.unit_of(i - 1) == unit and len(chosen) < room:
            chosen.add(i - 1)
    if sentences[best].rstrip().endswith(":") and passage.item_starts:
        # A lead-in ending in ':' is completed by the list item the question is nearest.
        items = [i for i in candidates if passage.unit_of(i) > unit]
        if items and len(chosen) < room:
            chosen.add(max(items, key=lambda i: scores[i]))
    last = max(chosen)
    following = last + 1
    if following < len(sentences) and passage.unit_of(following) == unit and _ANAPHORA.match(sentences[following]) \
            and quotable(sentences[following], unit > 0) and len(chosen) < room:
        chosen.add(following)  # "...sensation varies. This is normal." reads as one thought
    last = max(chosen)
    if sentences[last].rstrip().endswith(":") and last != best:
        # A quote never ends on a lead-in ("Here is how it works:"): its nearest list item completes it.
        items = [i for i in candidates if i > last and passage.unit_of(i) > passage.unit_of(last)]
        if items and _ASKS_FOR_SEVERAL.search(question):
            return _list_answer(hit, candidates, scores, room)  # "how do I...?": the steps, with their lead-in
        if items and len(chosen) < room:
            chosen.add(max(items, key=lambda i: scores[i]))
        else:
            chosen.discard(last)
    return [sentences[i] for i in sorted(chosen)]


def answer_text(hit: Hit, quoted: list[str]) -> str:
    """The quoted sentences as the answer reads: in the article's order, list items one per line."""
    sentences = hit.passage.sentences
    chosen = [next(i for i, s in enumerate(sentences) if s == q) for q in quoted]
    return hit.passage.render(chosen)


def _list_answer(hit: Hit, candidates: list[int], scores: list[float], room: int) -> list[str]:
    """The list's lead-in and its items nearest the question, in the article's order."""
    passage = hit.passage
    first_item = passage.item_starts[0]
    chosen: set[int] = set()
    if first_item > 0 and quotable(passage.sentences[first_item - 1]):
        chosen.add(first_item - 1)  # the lead-in says what the items are (a bare heading-like line does not)
    items = sorted((i for i in candidates if i >= first_item and i in passage.item_starts),
                   key=lambda i: -scores[i])
    for i in items:
        if len(chosen) >= room:
            break
        chosen.add(i)
    return [passage.sentences[i] for i in sorted(chosen)]
