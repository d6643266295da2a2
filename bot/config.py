"""Bot settings, read only from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
DEFAULT_PORT = 8080
# Telegram's limit for one bot token; with N replicas sharing a token give each about 30/N.
DEFAULT_MESSAGES_PER_SECOND = 30.0
DEFAULT_STATE_DIR = "state"  # beside the working directory


class ConfigError(ValueError):
    """A missing or malformed environment variable, explained in one sentence."""


@dataclass(frozen=True)
class Settings:
    token: str
    api_base_url: str = DEFAULT_API_BASE_URL
    file_base_url: str = DEFAULT_FILE_BASE_URL
    mode: str = "polling"  # "polling" or "webhook"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    port: int = DEFAULT_PORT
    messages_per_second: float = DEFAULT_MESSAGES_PER_SECOND  # 0: no pacing, only 429 retries
    state_dir: str | None = None  # the update inbox's folder; None: no inbox (tests)

    @property
    def webhook_path(self) -> str:
        """The path part of WEBHOOK_URL, which is where the local web server must listen."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"Settings(mode={self.mode!r}, api_base_url={self.api_base_url!r}, port={self.port})"


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping (normally os.environ)."""
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather, then run "
            "TELEGRAM_BOT_TOKEN=<token> python -m bot (see .env.example)."
        )
    mode = env.get("BOT_MODE", "polling").strip().lower() or "polling"
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"BOT_MODE must be 'polling' or 'webhook', not {mode!r}.")

    port_text = env.get("PORT", "").strip() or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a TCP port number, not {port_text!r}.")

    rate_text = env.get("MESSAGES_PER_SECOND", "").strip() or str(DEFAULT_MESSAGES_PER_SECOND)
    try:
        messages_per_second = float(rate_text)
    except ValueError:
        messages_per_second = -1.0
    if not 0 <= messages_per_second <= 1000:
        raise ConfigError(
            f"MESSAGES_PER_SECOND must be a number from 0 to 1000, not {rate_text!r}."
        )

    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    webhook_secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if mode == "webhook":
        if not webhook_url or urlsplit(webhook_url).scheme != "https":
            raise ConfigError("BOT_MODE=webhook needs WEBHOOK_URL, a public https:// address.")
        # Without the secret anyone who learns the URL could post forged updates and have the
        # bot message any chat that ever wrote to it.
        if webhook_secret is None:
            raise ConfigError(
                "BOT_MODE=webhook needs WEBHOOK_SECRET, a random string of A-Z, a-z, 0-9, _ "
                "and - that Telegram sends with every update (see .env.example)."
            )
        # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in the secret token.
        if not _is_valid_secret(webhook_secret):
            raise ConfigError("WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and -, up to 256.")

    return Settings(
        token=token,
        api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
        file_base_url=env.get("TELEGRAM_FILE_BASE_URL", "").strip() or DEFAULT_FILE_BASE_URL,
        mode=mode,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        port=int(port_text),
        messages_per_second=messages_per_second,
        state_dir=env.get("STATE_DIR", "").strip() or DEFAULT_STATE_DIR,
    )


def _is_valid_secret(secret: str) -> bool:
    return len(secret) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
