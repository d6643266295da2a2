"""Settings from environment variables, and `python -m bot` refusing to start without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    ],
)
def test_bad_settings_are_explained(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, **extra})


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
