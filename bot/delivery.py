"""Whether the user already has an answer to the update being handled.

PTB handles each update in an asyncio task of its own and runs the error handler in that task,
so a context variable links the two: a handler starts a record, each answer Telegram accepts is
noted in it, and the error handler reads it to decide whether to apologise. The same moment
marks the update done in the inbox (bot/inbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram.ext import AIORateLimiter

from bot import inbox

ANSWER_ENDPOINTS = frozenset({"sendMessage", "sendPhoto"})  # what the user sees in the chat

# A list that is appended to, not a flag that is set: a value set in a task started from this
# one would not reach this task, a change to the shared list does.
_answers: ContextVar[list[str] | None] = ContextVar("answers", default=None)


def start_update() -> None:
    """Begin an empty record for the update this task is handling now."""
    _answers.set([])


def user_has_answer() -> bool:
    """True once Telegram accepted an answer to the update this task is handling."""
    return bool(_answers.get())


class AnswerNotingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter that also notes each answer Telegram accepts.

    Every Bot API call passes through here and Telegram's reply comes back before PTB reads it,
    so an answer counts as sent even if reading Telegram's copy of the message then fails.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        result = await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
        if endpoint in ANSWER_ENDPOINTS:
            inbox.answered()
            answers = _answers.get()
            if answers is not None:
                answers.append(endpoint)
        return result
