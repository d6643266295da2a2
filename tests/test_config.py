"""Settings from environment variables, and `python -m bot` refusing to start without a token
or with one Telegram rejects, never showing it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import SYMPY_CACHE_SIZE
from bot.config import DEFAULT_API_BASE_URL, DEFAULT_FILE_BASE_URL, ConfigError, load_settings
from tests.fake_telegram import FakeTelegram
from tests.webhook_replicas import free_ports, fresh_state_dir

TOKEN = "123456:ABC-secret"


def test_defaults_are_polling_against_telegram() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": f" {TOKEN}\n"})
    assert settings.token == TOKEN
    assert settings.mode == "polling"
    assert settings.api_base_url == DEFAULT_API_BASE_URL == "https://api.telegram.org/bot"
    assert settings.file_base_url == DEFAULT_FILE_BASE_URL == "https://api.telegram.org/file/bot"
    assert settings.state_dir == "state"


def test_state_dir_is_read() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "STATE_DIR": " /var/lib/mathsnap "})
    assert settings.state_dir == "/var/lib/mathsnap"


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
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://a.example.com/"}, "needs WEBHOOK_SECRET"),
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://a.example.com/",
          "WEBHOOK_SECRET": "  "}, "needs WEBHOOK_SECRET"),
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://a.example.com/",
          "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET may only"),
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


def run_bot(**environment: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot` with `environment` instead of the caller's TELEGRAM_* and BOT_* settings."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    state = {"STATE_DIR": fresh_state_dir()}  # not the checkout's
    return subprocess.run(
        [sys.executable, "-m", "bot"], env=inherited | state | environment, capture_output=True,
        text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )


@pytest.fixture(scope="module")
def rejecting_telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API that knows another token, so it answers ours 401 Unauthorized."""
    fake = FakeTelegram("654321:OTHER-token").start()
    yield fake
    fake.stop()


def api(base: str) -> dict[str, str]:
    return {"TELEGRAM_API_BASE_URL": f"{base}/bot", "TELEGRAM_FILE_BASE_URL": f"{base}/file/bot"}


WEBHOOK = {"BOT_MODE": "webhook", "WEBHOOK_URL": "https://bot.example.com/telegram",
           "WEBHOOK_SECRET": "a-random_secret"}


def test_webhook_mode_without_a_secret_refuses_to_start_in_one_line() -> None:
    # Anyone who learns the URL could otherwise post forged updates to the bot.
    finished = run_bot(TELEGRAM_BOT_TOKEN=TOKEN, BOT_MODE="webhook",
                       WEBHOOK_URL="https://bot.example.com/telegram")
    assert finished.returncode == 2
    assert finished.stderr.startswith("mathsnap bot: BOT_MODE=webhook needs WEBHOOK_SECRET")
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr
    assert TOKEN.split(":")[1] not in finished.stdout + finished.stderr


@pytest.mark.parametrize("mode", [{}, WEBHOOK], ids=["polling", "webhook"])
def test_a_rejected_token_ends_the_bot_with_one_line_and_code_2(
    rejecting_telegram: FakeTelegram, mode: dict[str, str]
) -> None:
    base = rejecting_telegram.base_url.removesuffix("/bot")
    finished = run_bot(TELEGRAM_BOT_TOKEN=TOKEN, PORT=str(free_ports(1)[0]), **api(base), **mode)
    assert finished.returncode == 2
    assert finished.stderr == (
        "mathsnap bot: Telegram rejected the token; check TELEGRAM_BOT_TOKEN.\n"
    )
    assert finished.stdout == ""


@pytest.mark.parametrize(
    "failure", ["rejected token", "token in the wrong variable", "bad setting",
                "webhook without a secret", "API unreachable"]
)
def test_no_start_up_failure_shows_the_token(
    rejecting_telegram: FakeTelegram, failure: str
) -> None:
    environment = {
        "rejected token": {"TELEGRAM_BOT_TOKEN": TOKEN,
                           **api(rejecting_telegram.base_url.removesuffix("/bot"))},
        "token in the wrong variable": {"TELEGRAM_TOKEN": TOKEN},
        "bad setting": {"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_MODE": "push"},
        "webhook without a secret": {"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_MODE": "webhook",
                                     "WEBHOOK_URL": "https://bot.example.com/telegram"},
        # A port nothing listens on.
        "API unreachable": {"TELEGRAM_BOT_TOKEN": TOKEN,
                            **api(f"http://127.0.0.1:{free_ports(1)[0]}")},
    }[failure]
    finished = run_bot(**environment)
    assert finished.returncode != 0
    output = finished.stdout + finished.stderr
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output  # nor its secret half alone


_LOG_WITH_THE_TOKEN = """
import logging, sys
from bot.app import configure_logging
configure_logging(sys.argv[1])
try:
    raise RuntimeError(f"a library quoting the token {sys.argv[1]}")
except RuntimeError:
    logging.getLogger("some.library").exception("request to /bot%s/getMe failed", sys.argv[1])
"""


def test_the_log_masks_the_token_even_in_tracebacks() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", _LOG_WITH_THE_TOKEN, TOKEN], capture_output=True, text=True,
        timeout=60, cwd=Path(__file__).resolve().parents[1],
    )
    assert "request to /bot<token>/getMe failed" in finished.stderr
    assert "RuntimeError: a library quoting the token <token>" in finished.stderr
    assert TOKEN not in finished.stderr


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
