"""Update handlers: photos, image files, typed expressions, corrections and the inline buttons.

Nothing about a conversation is kept in this process: a correction is a reply to one of the bot's
messages, and the buttons find the user's photo through the message they are attached to, so any
replica can serve any update.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, ForceReply, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType, FileSizeLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes, filters

from bot import delivery, inbox, replies
from bot.limits import SlidingWindowLimiter
from recognizer import annotate, recognize, solve_lines, solve_text
from recognizer.decode import MAX_PIXELS
from recognizer.grammar import looks_like_math
from recognizer.types import RecognizerError

log = logging.getLogger(__name__)

SERVICES_KEY = "services"
IMAGE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
CHAT_ACTION_REFRESH_SECONDS = 4.5  # Telegram shows a chat action for about 5 s
# An answer within this time needs no "typing…" first; skipping it saves a request per photo,
# and under a burst those requests spend the same 30 messages/s as the answers.
CHAT_ACTION_DELAY_SECONDS = 1.0

Handler = Callable[..., Awaitable[str | None]]  # (update, context, *more) -> outcome
T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """Process-wide resources the handlers share, stored in application.bot_data."""

    executor: ThreadPoolExecutor  # recognition and solving run here, off the event loop
    image_limiter: SlidingWindowLimiter  # photos and image files; over it they wait their turn
    text_limiter: SlidingWindowLimiter  # typed expressions and corrections
    waiting_images: WaitingImages  # the images image_limiter booked a later slot for


class WaitingImages:
    """Images over their sender's limit, each answered by a task that sleeps until its slot.

    Only ids wait, not image bytes: each is downloaded when its turn comes. `close`, at
    shutdown, lets the answers under way finish and tells the senders of the others.
    """

    def __init__(self, kept: Callable[[], bool] = lambda: False) -> None:
        self._kept = kept  # True while the inbox keeps updates for the next start to answer
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self._closing = asyncio.Event()
        self._unread: list[Message] = []

    def add(
        self, wait: float, update: Update, context: ContextTypes.DEFAULT_TYPE, file_id: str
    ) -> None:
        inbox.defer()  # answered when its slot comes, not by the note that it waits
        task = asyncio.create_task(self._answer_after(wait, update, context, file_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop waiting; tell each sender, once per chat, which images went unread, unless the
        inbox keeps them for the next start."""
        self._closing.set()
        await asyncio.gather(*self._tasks)
        if self._kept():  # the next start answers them: no need to ask for them again
            return
        unread: dict[tuple[int, int], list[Message]] = {}
        for message in self._unread:
            unread.setdefault((message.chat_id, _sender(message)), []).append(message)
        await asyncio.gather(*(_tell_unread(messages) for messages in unread.values()))

    async def _answer_after(
        self, wait: float, update: Update, context: ContextTypes.DEFAULT_TYPE, file_id: str
    ) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), wait)
        if self._closing.is_set():
            self._unread.append(update.effective_message)
            return
        # Counted with the updates being handled, so CONCURRENT_UPDATES still bounds the images
        # held in memory when many come due at once.
        await context.application.update_processor.process_update(
            update, self._answer(update, context, file_id)
        )

    @staticmethod
    async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, file_id: str) -> None:
        try:
            await _answer_waiting_image(update, context, file_id)
        except Exception as error:  # as PTB does for a handler, which this is in all but timing
            await context.application.process_error(update, error)


class _ReplyToBot(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(replied and replied.from_user and replied.from_user.id == message.get_bot().id)


class _MentionsBot(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return bool(_bot_mentions(message))


REPLY_TO_BOT = _ReplyToBot(name="REPLY_TO_BOT")
# In groups the bot answers only what is meant for it: replies to it and @mentions.
ADDRESSED = filters.ChatType.PRIVATE | REPLY_TO_BOT | _MentionsBot(name="MENTIONS_BOT")
OTHER_MEDIA = (
    filters.Sticker.ALL | filters.VOICE | filters.VIDEO | filters.VIDEO_NOTE | filters.AUDIO
    | filters.ANIMATION | filters.LOCATION | filters.CONTACT | filters.POLL | filters.Dice.ALL
)


def logged(kind: str) -> Callable[[Handler], Callable[[Update, ContextTypes.DEFAULT_TYPE], Any]]:
    """Log one line per request: chat, kind, latency and the outcome the handler returns.

    A handler returns None for updates it ignores (group chatter), which are not logged.
    """

    def decorate(handler: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Any]:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE, *more: Any) -> None:
            delivery.start_update()
            started = time.perf_counter()
            outcome: str | None = "exception"
            try:
                outcome = await handler(update, context, *more)
            finally:
                if outcome is not None:
                    chat = update.effective_chat.id if update.effective_chat else None
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    log.info("chat=%s kind=%s ms=%.0f outcome=%s", chat, kind, elapsed_ms, outcome)

        return wrapper

    return decorate


@logged("help")
async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    await update.effective_message.reply_text(replies.HELP_TEXT)
    return "answered"


@logged("start")
async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    await update.effective_message.reply_text(replies.START_TEXT)
    return "answered"


@logged("photo")
async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    message = update.effective_message
    largest = message.photo[-1]
    if largest.width * largest.height > MAX_PIXELS:
        await message.reply_text(replies.TOO_MANY_PIXELS)
        return "too_many_pixels"
    return await _read_image(update, context, largest.file_id, largest.file_size)


@logged("document")
async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    message = update.effective_message
    if not _is_supported_image(message):
        await message.reply_text(replies.UNSUPPORTED_DOCUMENT)
        return "unsupported_document"
    document = message.document
    return await _read_image(update, context, document.file_id, document.file_size)


@logged("text")
async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    return await _solve_typed(update.effective_message, context)


@logged("correction")
async def on_correction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    return await _solve_typed(update.effective_message, context)


@logged("other_media")
async def on_other_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    await update.effective_message.reply_text(replies.UNSUPPORTED_MESSAGE)
    return "unsupported_media"


@logged("correct_button")
async def on_correct_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    if not isinstance(query.message, Message):
        await query.answer(replies.ORIGINAL_GONE, show_alert=True)
        return "message_gone"
    await _acknowledge(query)
    expression = replies.expression_from_correction_data(query.data or "")
    # Replying to the user's photo makes the selective ForceReply target that user in groups.
    target = query.message.reply_to_message or query.message
    await target.reply_text(
        replies.format_correction_prompt(expression),
        reply_markup=ForceReply(
            selective=True, input_field_placeholder=replies.correction_placeholder(expression)
        ),
    )
    return "prompted"


@logged("show_button")
async def on_show_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    answer = query.message if isinstance(query.message, Message) else None
    photo_message = answer.reply_to_message if answer else None
    file_id = _image_file_id(photo_message) if photo_message else None
    if answer is None or file_id is None:
        await query.answer(replies.ORIGINAL_GONE, show_alert=True)
        return "original_gone"
    # Not counted against the image limit: the photo was, and the button goes once used.
    await _acknowledge(query)
    async with _chat_action(context.bot, answer.chat_id, ChatAction.UPLOAD_PHOTO):
        image = await _download(context.bot, file_id)
        try:
            png = await _run(context, annotate, image)
        except RecognizerError as error:
            await answer.reply_text(replies.format_error(str(error)))
            return "not_annotated"
    await answer.reply_photo(png, caption=replies.ANNOTATION_CAPTION)
    with contextlib.suppress(BadRequest):  # "message is not modified" after a double press
        await answer.edit_reply_markup(replies.without_show_button(answer.reply_markup))
    return "annotated"


@logged("steps_button")
async def on_steps_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    query = update.callback_query
    answer = query.message if isinstance(query.message, Message) else None
    pressed = query.data or ""
    if answer is None or not replies.has_steps_button(answer.reply_markup, pressed):
        await _acknowledge(query)  # a second press, after the steps went out
        return "already_answered"
    try:
        await answer.edit_reply_markup(replies.without_steps_button(answer.reply_markup, pressed))
    except BadRequest as error:
        await _acknowledge(query)
        if "not modified" in str(error).lower():  # two presses at once: the other one answers
            return "already_answered"
        raise
    await _acknowledge(query)
    expression = replies.expression_from_correction_data(query.data or "")
    return await _reply_steps(answer, context, expression or _shown_expression(answer))


async def _acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner; "query is too old" when handled after a restart is no error."""
    with contextlib.suppress(BadRequest):
        await query.answer()


@logged("steps_command")
async def on_steps_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """/steps 2x+3=11, or /steps in reply to one of the bot's answers or to a photo."""
    message = update.effective_message
    replied = message.reply_to_message
    problem = " ".join(context.args or []) or (replied and _carried_expression(replied))
    file_id = _image_file_id(replied) if replied and not problem else None
    services = _services(context)
    if await _refused_by(services.image_limiter if file_id else services.text_limiter, message):
        return "rate_limited"
    if file_id is not None:
        async with _chat_action(context.bot, message.chat_id, ChatAction.TYPING):
            image = await _download(context.bot, file_id)
            problem = (await _run(context, recognize, image)).expression
    if not problem:
        await message.reply_text(replies.STEPS_USAGE if replied is None else replies.STEPS_GONE)
        return "no_problem"
    return await _reply_steps(message, context, problem)


async def _reply_steps(
    message: Message, context: ContextTypes.DEFAULT_TYPE, problem: str | None
) -> str:
    if not problem:
        await message.reply_text(replies.STEPS_GONE)
        return "no_problem"
    await message.reply_text(await _run(context, replies.format_steps, problem))
    return "steps"


def _carried_expression(message: Message) -> str | None:
    """The expression one of the bot's answers carries: in its Steps button, else as shown."""
    if message.from_user is None or message.from_user.id != message.get_bot().id:
        return None
    markup = message.reply_markup
    for button in (b for row in (markup.inline_keyboard if markup else ()) for b in row):
        if str(button.callback_data).startswith(f"{replies.STEPS_PREFIX}:"):
            return replies.expression_from_correction_data(str(button.callback_data))
    return _shown_expression(message)


def _shown_expression(message: Message) -> str | None:
    """The expression in bold in an answer (too long for a button's data); shown expressions
    can be typed back."""
    bold = message.parse_entities([MessageEntity.BOLD])
    return next(iter(bold.values()), None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback and, if the user got no answer, apologise."""
    log.error("update %s failed", _update_summary(update), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if delivery.user_has_answer():  # e.g. reading Telegram's copy of the answer failed
        return
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(update.effective_chat.id, replies.GENERIC_APOLOGY)


async def _read_image(
    update: Update, context: ContextTypes.DEFAULT_TYPE, file_id: str, file_size: int | None
) -> str:
    message = update.effective_message
    if file_size is not None and file_size > FileSizeLimit.FILESIZE_DOWNLOAD:
        await message.reply_text(replies.FILE_TOO_BIG)
        return "file_too_big"
    services = _services(context)
    sender = _sender(message)
    wait = services.image_limiter.reserve(sender)
    if wait is None:
        if services.image_limiter.first_refusal(sender):  # once a window: floods cost few sends
            await message.reply_text(replies.format_queue_full(services.image_limiter.most_waiting))
        return "queue_full"
    if wait:
        services.waiting_images.add(wait, update, context, file_id)
        if services.image_limiter.waiting(sender) == 1:  # the first to wait: say how long, once
            await message.reply_text(replies.format_queued(wait))
        return "queued"
    return await _answer_image(message, context, file_id)


@logged("waiting_image")
async def _answer_waiting_image(
    update: Update, context: ContextTypes.DEFAULT_TYPE, file_id: str
) -> str:
    return await _answer_image(update.effective_message, context, file_id)


async def _answer_image(message: Message, context: ContextTypes.DEFAULT_TYPE, file_id: str) -> str:
    async with _chat_action(context.bot, message.chat_id, ChatAction.TYPING):
        image = await _download(context.bot, file_id)
        recognition = await _run(context, recognize, image)
    problems = recognition.problems if len(recognition.problems) > 1 else ()
    # The written form keeps a drawn ÷ for the correction prompt; a page's is its lines.
    written = ("\n".join(p.written or p.expression or "" for p in problems) if problems
               else recognition.written or recognition.expression)
    numbered = [(p.label or f"{k}.", p.written or p.expression)
                for k, p in enumerate(problems, 1)]
    await message.reply_text(
        replies.format_recognition(recognition),
        reply_markup=replies.answer_keyboard(written, bool(recognition.symbols), numbered),
    )
    return "solved" if recognition.error is None else "not_solved"


async def _solve_typed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    text = _without_bot_mentions(message)
    if not looks_like_math(text):
        if message.chat.type != ChatType.PRIVATE:
            return None
        await message.reply_text(replies.NOT_MATH_HINT)
        return "hint"
    if await _refused_by(_services(context).text_limiter, message):
        return "rate_limited"
    if len(text.strip().splitlines()) > 1:  # a page: one problem per line
        problems = await _run(context, solve_lines, text)
        numbered = [(label or f"{k}.", s.written or s.expression)
                    for k, (label, s) in enumerate(problems, 1)]
        await message.reply_text(replies.format_typed_page(problems),
                                 reply_markup=replies.steps_keyboard(None, numbered))
        return "solved" if all(s.error is None for _, s in problems) else "not_solved"
    solution = await _run(context, solve_text, text)
    steps = replies.steps_keyboard(solution.written or solution.expression)
    await message.reply_text(replies.format_typed(solution), reply_markup=steps)
    return "solved" if solution.error is None else "not_solved"


async def _refused_by(limiter: SlidingWindowLimiter, message: Message) -> bool:
    """Count the request against the sender; over the limit, say so politely and refuse."""
    sender = _sender(message)
    retry_after = limiter.try_acquire(sender)
    if retry_after and limiter.first_refusal(sender):
        await message.reply_text(replies.format_rate_limited(retry_after))
    return bool(retry_after)


def _sender(message: Message) -> int:
    return message.from_user.id if message.from_user else message.chat_id


async def _tell_unread(messages: list[Message]) -> None:
    first = min(messages, key=lambda message: message.message_id)
    with contextlib.suppress(TelegramError):  # best effort: the bot is stopping
        await first.reply_text(replies.format_unread_at_restart(len(messages)))


def _is_supported_image(message: Message) -> bool:
    document = message.document
    if document.mime_type in IMAGE_MIME_TYPES:
        return True
    # Some clients send images as application/octet-stream; the name still tells the type.
    name = (document.file_name or "").lower()
    return document.mime_type in (None, "application/octet-stream") and name.endswith(
        IMAGE_EXTENSIONS
    )


def _image_file_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    if message.document and _is_supported_image(message):
        return message.document.file_id
    return None


def _bot_mentions(message: Message) -> list[str]:
    username = f"@{message.get_bot().username}".lower()
    entities = {**message.parse_entities([MessageEntity.MENTION]),
                **message.parse_caption_entities([MessageEntity.MENTION])}
    return [text for text in entities.values() if text.lower() == username]


def _without_bot_mentions(message: Message) -> str:
    text = message.text or ""
    for mention in _bot_mentions(message):
        text = text.replace(mention, " ")
    return text.strip()


async def _download(bot: Bot, file_id: str) -> bytes:
    """Download a file into memory; images never touch the disk."""
    telegram_file = await bot.get_file(file_id)
    return bytes(await telegram_file.download_as_bytearray())


async def _run(context: ContextTypes.DEFAULT_TYPE, function: Callable[..., T], *args: Any) -> T:
    """Run CPU-heavy work in the bounded pool so the event loop keeps serving other chats."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_services(context).executor, function, *args)


@contextlib.asynccontextmanager
async def _chat_action(bot: Bot, chat_id: int, action: str) -> AsyncIterator[None]:
    """Show 'typing…' (or 'sending photo…') while the work inside takes longer than a second."""

    async def keep_showing() -> None:
        await asyncio.sleep(CHAT_ACTION_DELAY_SECONDS)
        with contextlib.suppress(TelegramError):
            while True:
                await bot.send_chat_action(chat_id, action)
                await asyncio.sleep(CHAT_ACTION_REFRESH_SECONDS)

    task = asyncio.create_task(keep_showing())
    try:
        yield
    finally:
        task.cancel()


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data[SERVICES_KEY]


def _update_summary(update: object) -> str:
    # Only ids: message text and file contents stay out of the logs.
    if isinstance(update, Update):
        chat = update.effective_chat.id if update.effective_chat else None
        return f"id={update.update_id} chat={chat}"
    return type(update).__name__
