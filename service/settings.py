"""The one typed Settings object: defaults here, overridden by `CLINICBOT_*` variables and CLI flags."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_STARTERS = ["Does it hurt?", "How many sessions will I need?", "Does insurance cover it?"]


class Settings(BaseSettings):
    """Every setting of clinicbot; each field's description is its help line and README row."""

    model_config = SettingsConfigDict(env_prefix="CLINICBOT_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of the clinic's articles (.md, .txt, .html).")
    index_dir: Path = Field(Path("var/index"), description="Folder the built index is written to and served from.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model name or path; the default is the bundled all-MiniLM-L6-v2.",
    )
    host: str = Field("127.0.0.1", description="Address `clinicbot serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `clinicbot serve` listens on.")
    answer_threshold: float = Field(
        0.40, ge=0.0, le=1.0,
        description="Lowest retrieval score that counts as the articles answering (higher: more refusals).",
    )
    max_sources: int = Field(3, ge=1, le=10, description="Most source articles listed under an answer.")
    search_k: int = Field(10, ge=1, le=100, description="Default number of passages `/api/search` returns.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted, in characters.")
    query_cache_size: int = Field(
        2048, ge=0, description="Question embeddings kept in memory so repeats are not re-embedded."
    )
    clinic_name: str = Field("our clinic", description="The clinic's name, used in fallback and emergency messages.")
    clinic_phone: str = Field("", description="The clinic's phone number, offered when the articles do not answer.")
    clinic_email: str = Field("", description="The clinic's e-mail address, offered when the articles do not answer.")
    clinic_booking_url: str = Field(
        "", description="The clinic's booking or contact page, offered when the articles do not answer."
    )
    emergency_number: str = Field("911", description="Emergency telephone number shown for emergencies.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Web origins (comma-separated) whose pages may embed the widget and call the API (CORS).",
    )
    widget_title: str = Field("Ask the clinic", description="Default title of the chat widget.")
    widget_greeting: str = Field(
        "Hi! Ask me about our treatments. I answer from the clinic's own articles.",
        description="Default greeting the chat widget opens with.",
    )
    starter_questions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_STARTERS),
        description="Default starter questions (separated by |) shown before the first message.",
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

    @field_validator("starter_questions", mode="before")
    @classmethod
    def _split_starters(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [q.strip() for q in value.split("|") if q.strip()]
        return value
