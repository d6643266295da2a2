"""`python -m bot`: run the Telegram bot, configured by environment variables (.env.example)."""

from __future__ import annotations

import importlib.util
import os
import sys

from bot.config import ConfigError, load_settings

EXIT_CONFIG_ERROR = 2


def main() -> int:
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

    # Imported here so a configuration mistake is reported at once, before models load.
    from bot.app import build_application, configure_logging, run

    configure_logging()
    run(build_application(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
