"""Assemble the python-telegram-bot Application: settings, handlers, resources and how it runs."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

import recognizer
from bot import handlers, inbox, replies
from bot.config import Settings
from bot.delivery import AnswerNotingRateLimiter
from bot.limits import SlidingWindowLimiter

RECOGNIZER_WORKERS = 2  # OpenCV, LiteRT and numpy release the GIL, so threads run in parallel
# Updates handled at once; bounds the images held in memory while they wait for a worker.
CONCURRENT_UPDATES = 16
IMAGES_PER_MINUTE = 10
WAITING_IMAGES = 20  # per user over IMAGES_PER_MINUTE, answered as their slots come
TEXTS_PER_MINUTE = 30
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
COMMANDS = [
    BotCommand("start", "What I do"),
    BotCommand("help", "Examples, what I can read, photo tips"),
    BotCommand("steps", "The worked solution: /steps 2x+3=11, or in reply to an answer"),
]

log = logging.getLogger(__name__)


def configure_logging(token: str, level: int = logging.INFO) -> None:
    """Log to stderr, with the token masked should any library put it in a message."""
    handler = logging.StreamHandler()
    handler.setFormatter(_TokenMaskingFormatter(token))
    handler.addFilter(_not_a_token_rejected_at_start_up)
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request URL at INFO, and the Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class _TokenMaskingFormatter(logging.Formatter):
    def __init__(self, token: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        # The whole line, tracebacks included: PTB writes a rejected token into its exception.
        return super().format(record).replace(self._token, "<token>")


def _not_a_token_rejected_at_start_up(record: logging.LogRecord) -> bool:
    # PTB's start-up retry loop logs a rejected token with a traceback, then raises it from
    # run_*; `python -m bot` reports it in one line instead.
    error = record.exc_info[1] if record.exc_info else None
    return not (isinstance(error, InvalidToken) and "Bootstrap" in record.getMessage())


def build_application(settings: Settings) -> Application:
    store = inbox.open_inbox(settings.state_dir, settings.token)
    application = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                do_quote=True,  # every reply is threaded to the message it answers
                allow_sending_without_reply=True,  # ...unless the user deleted it meanwhile
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Paces all sends to the token's limit, and waits out 429s instead of failing.
        .rate_limiter(AnswerNotingRateLimiter(overall_max_rate=settings.messages_per_second,
                                              max_retries=3))
        # Updates are stored as they are queued, and marked done once handled (bot/inbox.py).
        .update_queue(inbox.InboxQueue(store))
        .concurrent_updates(inbox.InboxUpdateProcessor(CONCURRENT_UPDATES, store))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[handlers.SERVICES_KEY] = handlers.Services(
        executor=ThreadPoolExecutor(RECOGNIZER_WORKERS, thread_name_prefix="recognizer"),
        image_limiter=SlidingWindowLimiter(IMAGES_PER_MINUTE, 60.0, most_waiting=WAITING_IMAGES),
        text_limiter=SlidingWindowLimiter(TEXTS_PER_MINUTE, 60.0),
        waiting_images=handlers.WaitingImages(kept=lambda: store.durable),
    )
    _add_handlers(application)
    return application


def run(application: Application, settings: Settings, **options: Any) -> None:
    """Run until stopped, by long polling or as a webhook server; options go to PTB's run_*."""
    if settings.mode == "webhook":
        application.run_webhook(
            listen="0.0.0.0",
            port=settings.port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            **options,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, **options)


def _add_handlers(application: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    application.add_handlers(
        [
            CommandHandler("start", handlers.on_start),
            CommandHandler("help", handlers.on_help),
            CommandHandler("steps", handlers.on_steps_command),
            MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, handlers.on_help),
            MessageHandler(text & handlers.REPLY_TO_BOT, handlers.on_correction),
            MessageHandler(text & handlers.ADDRESSED, handlers.on_text),
            MessageHandler(filters.PHOTO & handlers.ADDRESSED, handlers.on_photo),
            # Before documents: a GIF arrives as an animation that also carries a document.
            MessageHandler(handlers.OTHER_MEDIA & handlers.ADDRESSED, handlers.on_other_media),
            MessageHandler(filters.Document.ALL & handlers.ADDRESSED, handlers.on_document),
            CallbackQueryHandler(handlers.on_correct_button, pattern=f"^{replies.CORRECT_PREFIX}"),
            CallbackQueryHandler(handlers.on_show_button, pattern=f"^{replies.SHOW_CALLBACK}$"),
            CallbackQueryHandler(handlers.on_steps_button, pattern=f"^{replies.STEPS_PREFIX}"),
        ]
    )
    application.add_error_handler(handlers.on_error)


async def _post_init(application: Application) -> None:
    services: handlers.Services = application.bot_data[handlers.SERVICES_KEY]
    started = asyncio.get_running_loop().time()
    await asyncio.get_running_loop().run_in_executor(services.executor, recognizer.load_models)
    log.info("models loaded in %.1f s", asyncio.get_running_loop().time() - started)
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as error:
        # The menu only lists commands that work without it: no reason to stop the bot.
        log.warning("could not set the command menu, going on without it: %s", error)
    log.info("running as @%s", application.bot.username)
    await inbox.replay(application)


async def _post_stop(application: Application) -> None:
    # Still connected to Telegram here, so senders of images left waiting can be told.
    services: handlers.Services = application.bot_data[handlers.SERVICES_KEY]
    await services.waiting_images.close()


async def _post_shutdown(application: Application) -> None:
    services: handlers.Services = application.bot_data[handlers.SERVICES_KEY]
    services.executor.shutdown(wait=True, cancel_futures=True)
    inbox.close(application)
