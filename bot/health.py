"""`python -m bot.health`: exit 0 when this container's webhook server answers HTTP, else 1.

For a container health check (Dockerfile, compose.yaml). It asks the local web server of a bot
in webhook mode for the path of WEBHOOK_URL on 127.0.0.1:PORT; any HTTP answer counts (the
webhook answers a GET with 405, as it accepts only Telegram's POSTs), a refused or silent
connection does not. It reads PORT and WEBHOOK_URL from the environment, as `python -m bot`
does, and never the token.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from bot.config import DEFAULT_PORT

TIMEOUT_SECONDS = 3.0


def webhook_answers(port: int, path: str, timeout: float = TIMEOUT_SECONDS) -> bool:
    """True when an HTTP server on 127.0.0.1:port answers a GET of `path`, whatever its status."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path.lstrip('/')}",
                                    timeout=timeout):
            return True
    except urllib.error.HTTPError:  # an answer all the same: 405 for the webhook's path
        return True
    except (OSError, ValueError):  # refused, timed out, reset, or not HTTP
        return False


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m bot.health",
        description="Exit 0 when the bot's webhook server on 127.0.0.1:$PORT answers HTTP, "
                    "1 when it does not (for container health checks; webhook mode only).",
    ).parse_args(argv)
    if os.environ.get("BOT_MODE", "polling").strip().lower() != "webhook":
        print("bot.health: BOT_MODE is not webhook; there is no web server to check",
              file=sys.stderr)
        return 0
    port_text = os.environ.get("PORT", "").strip() or str(DEFAULT_PORT)
    if not port_text.isdigit():
        print(f"bot.health: PORT must be a port number, not {port_text!r}", file=sys.stderr)
        return 1
    path = urlsplit(os.environ.get("WEBHOOK_URL", "").strip()).path
    if webhook_answers(int(port_text), path):
        return 0
    print(f"bot.health: nothing answers on 127.0.0.1:{port_text}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
