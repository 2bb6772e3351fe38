"""Turning errors and events into terminal-safe lines in the user's language."""

from __future__ import annotations

import time

from papo.errors import PapoError
from papo.i18n import translate
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.text import terminal_safe
from papo.session import Ended, Event, Late, Lost, Received, Rejected


def error_text(error: PapoError, lang: str) -> str:
    """The one-line text of ``error``; nested action codes are translated too."""
    details = dict(error.details)
    action = details.get("action")
    if isinstance(action, str) and action.startswith("action_"):
        details["action"] = translate(action, lang)
    return translate(error.code, lang, **details)


def clock_stamp(moment: float) -> str:
    """``HH:MM:SS`` in local time."""
    return time.strftime("%H:%M:%S", time.localtime(moment))


def message_line(message: ChatMessage, lang: str) -> str:
    """``user: text`` with every remote character made terminal-safe."""
    user = terminal_safe(message.user)
    data = terminal_safe(message.data)
    if message.plain:
        user = f"{user} ({translate('plain_text', lang)})"
    elif message.parts and message.parts > 1:
        user = f"{user} [{message.part}/{message.parts}]"
    if message.type == MessageType.ME:
        return f"* {user} {data}"
    return f"{user}: {data}"


def event_line(event: Event, lang: str) -> str:
    """The line a receiver shows for one session event."""
    match event:
        case Received(message):
            return message_line(message, lang)
        case Ended(message):
            return (
                message_line(message, lang)
                + "\n"
                + translate("ended_by", lang, user=terminal_safe(message.user))
            )
        case Rejected(error, source):
            return translate(
                "rejected", lang, source=terminal_safe(source), reason=error_text(error, lang)
            )
        case Lost(user, _node, count):
            return translate("lost", lang, user=terminal_safe(user), count=count)
        case Late(user, _node, count):
            return translate("late", lang, user=terminal_safe(user), count=count)
    raise TypeError(f"unknown event {event!r}")
