"""Settings from environment variables, and `python -m bot` refusing to start without a token."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import SYMPY_CACHE_SIZE
from bot.config import DEFAULT_API_BASE_URL, DEFAULT_FILE_BASE_URL, ConfigError, load_settings

TOKEN = "123456:ABC-secret"


def test_defaults_are_polling_against_telegram() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": f" {TOKEN}\n"})
    assert settings.token == TOKEN
    assert settings.mode == "polling"
    assert settings.api_base_url == DEFAULT_API_BASE_URL == "https://api.telegram.org/bot"
    assert settings.file_base_url == DEFAULT_FILE_BASE_URL == "https://api.telegram.org/file/bot"


@pytest.mark.parametrize("environment", [{}, {"TELEGRAM_BOT_TOKEN": "  "}])
def test_missing_token_is_explained(environment: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_settings(environment)


def test_self_hosted_bot_api_urls() -> None:
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": "http://localhost:8081/bot",
        "TELEGRAM_FILE_BASE_URL": "http://localhost:8081/file/bot",
    })
    assert settings.api_base_url == "http://localhost:8081/bot"
    assert settings.file_base_url == "http://localhost:8081/file/bot"


def test_webhook_settings() -> None:
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": TOKEN, "BOT_MODE": "Webhook", "PORT": "8443",
        "WEBHOOK_URL": "https://bot.example.com/telegram/hook", "WEBHOOK_SECRET": "s3cret_-X",
    })
    assert settings.mode == "webhook"
    assert settings.port == 8443
    assert settings.webhook_path == "telegram/hook"
    assert settings.webhook_secret == "s3cret_-X"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"BOT_MODE": "push"}, "BOT_MODE must be"),
        ({"BOT_MODE": "webhook"}, "needs WEBHOOK_URL"),
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "http://plain.example.com/"}, "https://"),
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://a.example.com/",
          "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"MESSAGES_PER_SECOND": "fast"}, "MESSAGES_PER_SECOND"),
        ({"MESSAGES_PER_SECOND": "-1"}, "MESSAGES_PER_SECOND"),
        ({"MESSAGES_PER_SECOND": "nan"}, "MESSAGES_PER_SECOND"),
    ],
)
def test_bad_settings_are_explained(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, **extra})


@pytest.mark.parametrize(("text", "rate"), [("", 30.0), ("7.5", 7.5), ("0", 0.0)])
def test_messages_per_second(text: str, rate: float) -> None:
    # With N replicas sharing a token each gets 30/N; 0 leaves pacing to Telegram's 429s.
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "MESSAGES_PER_SECOND": text})
    assert settings.messages_per_second == rate


def test_the_builder_paces_sends_at_the_configured_rate() -> None:
    from bot.app import build_application
    from bot.config import Settings

    application = build_application(Settings(token="1:x", messages_per_second=7.5))
    limiter = application.bot.rate_limiter._base_limiter
    assert limiter is not None and limiter.max_rate == 7.5
    unpaced = build_application(Settings(token="1:x", messages_per_second=0))
    assert unpaced.bot.rate_limiter._base_limiter is None


def test_settings_repr_hides_the_token() -> None:
    assert TOKEN not in repr(load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}))


def test_python_m_bot_without_token_exits_with_code_2() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    finished = subprocess.run(
        [sys.executable, "-m", "bot"], env=environment, capture_output=True, text=True,
        timeout=60, cwd=Path(__file__).resolve().parents[1],
    )
    assert finished.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in finished.stderr
    assert "Traceback" not in finished.stderr


# Builds the application as `python -m bot` does; prints the optional packages that got loaded,
# whether PTB can serve webhooks and sympy's cache size.
_MEMORY_SETTINGS = """
import json, sys
from bot.__main__ import limit_memory
limit_memory(sys.argv[1])
from sympy.core import cache
from telegram.ext import _updater
from bot.app import build_application
from bot.config import Settings
build_application(Settings(token="1:x", api_base_url="http://127.0.0.1:9/bot"))
names = ("cryptography", "rich", "pygments", "click", "trio", "tornado")
loaded = [n for n in names if sys.modules.get(n)]
print(json.dumps([loaded, _updater.WEBHOOKS_AVAILABLE, cache.SYMPY_CACHE_SIZE]))
"""


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_memory_settings_skip_unused_packages_and_bound_the_sympy_cache(mode: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "SYMPY_CACHE_SIZE"}
    finished = subprocess.run(
        [sys.executable, "-c", _MEMORY_SETTINGS, mode], env=environment, capture_output=True,
        text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )
    assert finished.returncode == 0, finished.stderr
    loaded, webhooks_available, sympy_cache_size = json.loads(finished.stdout.splitlines()[-1])
    webhooks = mode == "webhook" and importlib.util.find_spec("tornado") is not None
    assert loaded == (["tornado"] if webhooks else [])
    assert webhooks_available == webhooks
    assert sympy_cache_size == SYMPY_CACHE_SIZE
