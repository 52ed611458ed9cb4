"""The one typed Settings object: defaults here, overridden by `CLINICBOT_*` variables and CLI flags."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from limits import parse_many
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.embedder import DEFAULT_MODEL
from service.answering.tuning import Tuning

DEFAULT_STARTERS = ["Does it hurt?", "How many sessions will I need?", "Does insurance cover it?"]


class Settings(BaseSettings):
    """Every setting of clinicbot; each field's description is its help line and README row."""

    model_config = SettingsConfigDict(env_prefix="CLINICBOT_", extra="ignore", env_nested_delimiter="__")

    corpus_dir: Path = Field(Path("corpus"),
                             description="Folder of the clinic's articles (.md, .txt, .html, .pdf, .docx).")
    index_dir: Path = Field(Path("var/index"), description="Folder the built index is written to and served from.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model name or path; the default is the bundled all-MiniLM-L6-v2.",
    )
    encoder: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx", description="What runs the model: `onnx` (ONNX Runtime, exported once, no torch when serving), "
                            "`onnx-int8` (its int8-quantised weights) or `torch` (sentence-transformers). "
                            "The index records it; serve refuses a mismatch.",
    )
    encoder_dir: Path = Field(
        Path("var/encoders"),
        description="Where the model's ONNX export is kept (made by the first `clinicbot index`).",
    )
    encoder_threads: int = Field(
        1, ge=0,
        description="ONNX Runtime threads per question when serving (0: every core); each worker uses its own.",
    )
    host: str = Field("127.0.0.1", description="Address `clinicbot serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `clinicbot serve` listens on.")
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Port on `host` serving /metrics without a login, for a scraper; unset: none."
    )
    api_docs: bool = Field(
        True, description="Serve the interactive API description at /docs (from the installed package, no CDN)."
    )
    keep_alive_seconds: float = Field(5, gt=0, description="Seconds an idle keep-alive connection stays open.")
    request_read_seconds: float = Field(
        10, gt=0, description="Seconds a client has to send a request's headers and body before it is cut off."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses (comma-separated) of reverse proxies whose X-Forwarded-For is believed; none: no one's.",
    )
    tuning: Tuning = Field(
        default_factory=Tuning,
        description="Overrides of the answering pipeline's knobs, as JSON or one variable per field (see Tuning).",
    )
    index_watch_seconds: float = Field(
        1, ge=0, description="How often to look for a build another worker or replica wrote to the index folder; "
                             "0: never.",
    )
    max_sources: int = Field(3, ge=1, le=10, description="Most source articles listed under an answer.")
    search_k: int = Field(10, ge=1, le=100, description="Default number of passages `/api/search` returns.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted, in characters.")
    query_cache_size: int = Field(
        2048, ge=0, description="Questions kept in memory (their vectors and answers) so a repeat is answered at once."
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

    database: str = Field(
        "var/clinicbot.db",
        description="The question log, sessions and counters: a SQLite file path, or a postgresql:// URL for replicas.",
    )
    database_pool_size: int = Field(10, ge=1, le=200, description="Connections each process keeps to PostgreSQL.")
    retention_days: int = Field(90, ge=1, description="Question log records older than this many days are deleted.")
    upload_max_bytes: int = Field(10_000_000, ge=1, description="Largest article file staff may upload, in bytes.")
    trash_days: int = Field(30, ge=1, description="Days a deleted article (and an unpublished upload) is kept.")
    staff_password: SecretStr = Field(
        SecretStr(""), description="Password of the `staff` user (kept only as a hash in memory); empty: no login."
    )
    staff_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="More staff users as `name:hash` (comma-separated); make a hash with `clinicbot hash-password`.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""), description="Key for CSRF tokens and visitor hashes (32+ characters); empty: the key file's."
    )
    secret_key_file: Path | None = Field(
        None, description="File of the generated secret key (made once, mode 0600); empty: beside the SQLite file."
    )
    session_hours: float = Field(8, gt=0, description="How long a staff login lasts.")
    cookie_secure: bool = Field(
        False, description="Send the staff session cookie over HTTPS only (set when behind TLS)."
    )

    rate_limit_storage: str = Field(
        "", description="Where rate-limit counters live: empty for the database, or a redis:// URL."
    )
    rate_limit_ask: str = Field(
        "20/minute;200/day", description="Questions (/api/ask) one visitor may ask; `limits` notation, empty: none."
    )
    rate_limit_feedback: str = Field("5/minute;50/day", description="Feedback votes one visitor may send.")
    rate_limit_origin: str = Field(
        "600/minute", description="Questions all visitors of one widget origin (website) may ask together."
    )
    rate_limit_pages: str = Field(
        "120/minute", description="Other public requests (pages, widget, sign-in form) one visitor may make."
    )

    workers: int = Field(
        0, ge=0, description="Processes `clinicbot serve` answers with, all on one port; 0: one per CPU.",
    )
    question_log_queue: int = Field(
        10000, ge=1,
        description="Question log records a process queues for its writer thread; when full, answers write their own.",
    )
    question_log_drain_seconds: float = Field(
        30, ge=0, description="On shutdown, how long queued question log records are retried before they are given up.",
    )

    import_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts (comma-separated; `host:port`, `*.clinic.org`) pages may be imported from; none: no import.",
    )
    import_max_bytes: int = Field(5_000_000, ge=1, description="Largest page, sitemap or feed an import downloads.")
    import_timeout_seconds: float = Field(10.0, gt=0, description="Seconds one import download may take in all.")
    import_max_pages: int = Field(200, ge=1, description="Most pages one import takes from a sitemap or feed.")

    @field_validator("allowed_origins", "staff_users", "trusted_proxies", "import_allowed_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split(value, ",")

    @field_validator("starter_questions", mode="before")
    @classmethod
    def _bar_list(cls, value: Any) -> Any:
        return _split(value, "|")

    @field_validator("database", mode="before")
    @classmethod
    def _database_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    @field_validator("rate_limit_ask", "rate_limit_feedback", "rate_limit_origin", "rate_limit_pages")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        if value.strip():
            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(f"not a rate limit like '20/minute;200/day': {value!r}") from exc
        return value.strip()

    @field_validator("allowed_origins")
    @classmethod
    def _bare_origins(cls, value: list[str]) -> list[str]:
        return [origin.rstrip("/") for origin in value]  # "https://clinic.test/" is the origin "https://clinic.test"


def key_file(settings: Settings) -> Path:
    """Where the generated secret key lives: the setting, else beside the SQLite file (or var/ for a server)."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file
    if "://" in settings.database:
        return Path("var/secret.key")
    return Path(settings.database).parent / "secret.key"


def _split(value: Any, separator: str) -> Any:
    """A list setting given as one string (an environment variable) is split on `separator`."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    return value
