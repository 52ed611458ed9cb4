"""The JSON shapes of the API, shared by the routes and `clinicbot ask --json`."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["answered", "no_answer", "emergency"]
Reason = Literal["not_covered", "medical_advice", "off_topic"]


class Turn(BaseModel):
    """One earlier exchange of the conversation."""

    question: str = Field(max_length=5000)
    answer: str = Field("", max_length=20000)


class AskRequest(BaseModel):
    """A patient's question, with the conversation so far."""

    question: str = Field(description="The patient's question (1 to 1,000 characters).", examples=["Does it hurt?"])
    history: list[Turn] = Field(default_factory=list, max_length=50, description="Earlier turns, oldest first.")
    conversation_id: str = Field(
        "", max_length=64, pattern=r"^[A-Za-z0-9_-]*$", description="Groups the questions of one chat in the log."
    )


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
    comment: str = Field("", max_length=1000)


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
