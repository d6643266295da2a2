"""`python -m bot`: run the Telegram bot, configured by environment variables (.env.example)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from bot.config import ConfigError, load_settings

EXIT_CONFIG_ERROR = 2
# Packages our libraries import whenever they happen to be installed, for features this bot never
# uses. Each stays resident for the life of the process (docs/benchmarks.md, "Memory").
UNUSED_OPTIONAL_MODULES = (
    "cryptography",  # PTB: Telegram Passport decryption, ~7 MB
    "httpx._main",  # httpx: its command-line client, which imports rich, pygments and click, ~4 MB
    "trio",  # httpcore: the trio backend; PTB runs on asyncio, ~4 MB
)
WEBHOOK_ONLY_MODULES = ("tornado",)  # PTB: the webhook server, ~3 MB
# sympy keeps up to this many results per cached function (its default, 1000, grew the process by
# 12 MB over 1000 distinct typed expressions, 100 by 4 MB, with no measurable slow-down).
SYMPY_CACHE_SIZE = 100


def limit_memory(mode: str) -> None:
    """Process-wide memory settings; call before importing telegram or sympy.

    The optional imports above fail as if the packages were absent, a case those libraries
    handle (None in sys.modules makes `import` raise ImportError); modules already loaded are
    kept. An operator's SYMPY_CACHE_SIZE wins over ours.
    """
    os.environ.setdefault("SYMPY_CACHE_SIZE", str(SYMPY_CACHE_SIZE))
    names = UNUSED_OPTIONAL_MODULES + (WEBHOOK_ONLY_MODULES if mode == "polling" else ())
    for name in names:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m bot",
        description="Run the mathsnap Telegram bot. It is configured by environment variables "
                    "only (.env.example lists them): TELEGRAM_BOT_TOKEN (required), BOT_MODE "
                    "(polling or webhook), WEBHOOK_URL, WEBHOOK_SECRET and PORT (webhook mode), "
                    "MESSAGES_PER_SECOND, STATE_DIR, TELEGRAM_API_BASE_URL, "
                    "TELEGRAM_FILE_BASE_URL.",
        epilog="Exit status: 0 after a clean stop; 2 for a missing or wrong setting, or a token "
               "Telegram rejects.",
    ).parse_args(argv)
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        print(f"mathsnap bot: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if settings.mode == "webhook" and importlib.util.find_spec("tornado") is None:
        print(
            'mathsnap bot: BOT_MODE=webhook needs pip install "python-telegram-bot[webhooks]".',
            file=sys.stderr,
        )
        return EXIT_CONFIG_ERROR

    limit_memory(settings.mode)
    # Imported here so a configuration mistake is reported at once, before models load.
    from telegram.error import InvalidToken

    from bot.app import build_application, configure_logging, run

    configure_logging(settings.token)
    try:
        run(build_application(settings), settings)
    except InvalidToken:  # its message holds the token
        print("mathsnap bot: Telegram rejected the token; check TELEGRAM_BOT_TOKEN.",
              file=sys.stderr)
        return EXIT_CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
