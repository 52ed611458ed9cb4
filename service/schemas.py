"""The JSON shapes of the API, shared by the routes and `clinicbot ask --json`."""
from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, ModelWrapValidatorHandler, PrivateAttr, model_validator


def clean_text(text: str) -> str:
    """Free text as the patient meant it: no lone surrogates (a ValueError), no control or format characters.

    Tabs and line breaks become spaces; other control characters (NUL…) and format characters (category Cf:
    zero-width spaces and joiners, direction marks, the BOM) are dropped, so "chest pain" with a zero-width
    space inside "chest" still reads as "chest pain", and a text of only such characters is empty.
    """
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ValueError("contains an invalid character (a lone UTF-16 surrogate)")
    kept = []
    for char in text:
        if char in "\t\n\r":
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cf"):
            kept.append(char)
    return "".join(kept)


def _invisible_class() -> str:
    """A regex class of what `clean_text` drops or a strip removes: whitespace, control and format characters."""
    ranges: list[tuple[int, int]] = []
    # Planes 4-13 are unassigned and planes 15-16 private use (neither control, format nor space): skipping
    # them keeps start-up fast (a third of a second less) without changing the class.
    for code in [*range(0x40000), *range(0xE0000, 0xF0000)]:
        if unicodedata.category(chr(code)) in ("Cc", "Cf") or chr(code).isspace():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))

    def escape(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges)


# A text with at least one character that is not blank, a control or a format character: what a question needs.
VISIBLE = f"[^{_invisible_class()}]"
# Free text from a client, cleaned by `clean_text`. An after-validator, so that the length limits of a field
# (`Field(max_length=…)`) count the characters as sent, as the OpenAPI schema says, and not what is left.
Text = Annotated[str, AfterValidator(clean_text)]
Status = Literal["answered", "no_answer", "emergency"]
Reason = Literal["not_covered", "medical_advice", "off_topic"]


class Turn(BaseModel):
    """One earlier exchange of the conversation."""

    question: Text = Field(max_length=5000)
    answer: Text = Field("", max_length=20000)


class AskRequest(BaseModel):
    """A patient's question, with the conversation so far."""

    # The longest question is the `max_question_chars` setting: the app writes it into its OpenAPI schema, and
    # the route checks `sent_chars` against it (the characters as sent, before cleaning, as the schema counts).
    question: Text = Field(min_length=1, pattern=VISIBLE,
                           description="The patient's question (1 to 1,000 characters by default).",
                           examples=["Does it hurt?"])
    history: list[Turn] = Field(default_factory=list, max_length=50, description="Earlier turns, oldest first.")
    conversation_id: str = Field(
        "", max_length=64, pattern=r"^[A-Za-z0-9_-]*$", description="Groups the questions of one chat in the log."
    )
    _sent_chars: int = PrivateAttr(0)

    @model_validator(mode="wrap")
    @classmethod
    def _count_sent(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        sent = data.get("question") if isinstance(data, dict) else None
        model._sent_chars = len(sent) if isinstance(sent, str) else len(model.question)
        return model

    @property
    def sent_chars(self) -> int:
        """The question's length as the client sent it, control and format characters included."""
        return self._sent_chars


class Source(BaseModel):
    """An article passage supporting an answer."""

    article_id: str
    title: str
    url: str
    section: str
    passage: str
    score: float


class AskResponse(BaseModel):
    """The bot's reply."""

    id: str
    status: Status
    answer: str
    sources: list[Source]
    reason: Reason | None = Field(
        None, description="Why there is no answer (no_answer only): the articles do not cover it, it asks for a "
                          "dose, a diagnosis or a cure, or it is not about the clinic's field.")


class SearchHit(BaseModel):
    """One passage of a staff search, with its scores."""

    passage_id: str
    article_id: str
    title: str
    url: str
    section: str
    anchor: str
    passage: str
    score: float
    sentences: list[str]
    sentence_scores: list[float]


class Signal(BaseModel):
    """One value the answer decision read, and the limit it is held to (if any)."""

    name: str
    label: str
    value: float
    limit: float | None = None
    limit_name: str = ""
    weight: float | None = None


class Explanation(BaseModel):
    """Why the bot answered or refused: the safety check, the deciding rule and the signals it read."""

    status: Status
    reason: Reason | None = None
    reason_text: str = Field("", description="The reason in words, for people.")
    rule: str = Field("", description="The rule that decided, in words.")
    safety: str = Field("", description="What the safety stage found, and how (empty when nothing).")
    signals: list[Signal] = Field(default_factory=list, description="The deciding values for the best passage.")


class SearchResponse(BaseModel):
    """Ranked passages for a query, and why the bot would answer it as it does."""

    query: str
    k: int
    results: list[SearchHit]
    decision: Explanation | None = None


class Feedback(BaseModel):
    """A visitor's thumbs up or down on one answer."""

    id: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-f]+$", description="The answer's id.")
    helpful: bool
    comment: Text = Field("", max_length=1000)


class WidgetConfig(BaseModel):
    """What the widget needs to know about the clinic."""

    clinic_name: str
    phone: str
    email: str
    booking_url: str
    emergency_number: str
    title: str
    greeting: str
    starters: list[str]


class Health(BaseModel):
    """The process is up: which process answered (one of `clinicbot serve`'s workers) and the index it serves."""

    status: Literal["ok"] = "ok"
    pid: int = Field(description="The id of the process that answered.")
    build_id: str | None = Field(None, description="The index build this process serves; null until it is loaded.")


class ErrorDetail(BaseModel):
    """One field a request got wrong."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """What went wrong: the HTTP status, a stable code and a readable message."""

    status: int
    code: str = Field(examples=["invalid_request", "too_many_requests", "not_found"])
    message: str
    details: list[ErrorDetail] | None = Field(None, description="Per-field problems (422 only).")


class ErrorResponse(BaseModel):
    """The one error shape of the whole API."""

    error: ErrorBody
