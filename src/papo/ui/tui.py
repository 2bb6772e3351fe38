"""The terminal chat window (prompt_toolkit): messages scroll above a fixed input line.

The input line is a prompt_toolkit ``PromptSession`` (history with the arrow keys, line
editing, wide characters and terminal resizes handled by the library); Tab completes
commands and nicks (:mod:`papo.ui.completion`). Messages are
printed *above* it with ``run_in_terminal``, which hides the prompt, prints, and draws
it again with whatever the user was typing, so arriving messages never break a line
being typed. Lines arriving together are printed in one batch, so a flood costs one
redraw, not one per line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app_or_none, run_in_terminal
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.renderer import print_formatted_text as render_fragments
from prompt_toolkit.styles import Style

from papo.i18n import translate
from papo.protocol.text import terminal_safe
from papo.session.chat import ChatLine, ClearScreen, Ended, Notice, UiEvent
from papo.transport.base import RoomEvent
from papo.ui.chat import NICK_COLOURS, Fragments, render
from papo.ui.completion import ChatCompleter

#: Colours of nicks, chosen by :func:`papo.ui.chat.nick_style` (ANSI names: every
#: terminal and every theme has them).
NICK_PALETTE = (
    "ansired",
    "ansigreen",
    "ansiyellow",
    "ansiblue",
    "ansimagenta",
    "ansicyan",
    "ansibrightred",
    "ansibrightgreen",
    "ansibrightyellow",
    "ansibrightblue",
    "ansibrightmagenta",
    "ansibrightcyan",
)
assert len(NICK_PALETTE) == NICK_COLOURS

#: Link status codes (transport notices) and whether each means the link is up.
LINK_CODES = {
    "connected": True,
    "chat_connected_multicast": True,
    "chat_connected_multicast_room": True,
    "mesh_listening": True,
    "nats_connected": True,
    "nats_reconnected": True,
    "reconnecting": False,
    "disconnected": False,
    "room_server_shutdown": False,
    "nats_disconnected": False,
}

STYLE = Style.from_dict(
    {
        "bottom-toolbar": "noreverse ansibrightblack",
        "toolbar.offline": "bold ansired",
        "time": "ansibrightblack",
        "system": "italic ansibrightblack",
        "warning": "bold ansired",
        "impostor": "bold reverse ansired",
        "mention": "bold reverse",
        "own": "bold",
        "private": "ansimagenta",
        "action": "italic",
        "text": "",
        "past": "ansibrightblack",
        "prompt": "bold",
        **{f"nick.{index}": f"bold {colour}" for index, colour in enumerate(NICK_PALETTE)},
    }
)


class TuiView:
    """The full-duplex chat window; implements :class:`papo.ui.chat.ChatView`."""

    def __init__(
        self, lang: str, nick: Callable[[], str], roster: Callable[[], Sequence[str]] = tuple
    ) -> None:
        self.lang = lang
        self._nick = nick  # read at each prompt: /nick changes it
        self._session: PromptSession[str] = PromptSession(
            history=InMemoryHistory(),
            erase_when_done=True,
            completer=ChatCompleter(nick, roster),
            complete_while_typing=False,  # Tab completes; typing is never interrupted
            bottom_toolbar=self._toolbar,
        )
        self._roster = roster
        self._offline = False  # the link is down and the transport is trying again
        self._output = self._session.app.output
        self._pending: list[Fragments] = []
        self._bell = False
        self._clear = False
        self._flush_scheduled = False

    # -- showing ---------------------------------------------------------------------

    def show(self, event: UiEvent) -> None:
        """Queue the lines of one event and print them above the input line."""
        if isinstance(event, Ended):
            return
        if isinstance(event, ClearScreen):
            self._pending.clear()
            self._clear = True
        else:
            if isinstance(event, Notice) and event.code in LINK_CODES:
                self._offline = not LINK_CODES[event.code]
            if isinstance(event, ChatLine) and event.mention and not event.own:
                self._bell = True
            self._pending.extend(render(event, self.lang))
        self._schedule()

    def show_transport_event(self, event: RoomEvent) -> bool:
        """The window shows the session's view of every event, never raw ones."""
        return False

    def _schedule(self) -> None:
        app = get_app_or_none()
        if app is None or not app.is_running:
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            app.loop.call_soon(lambda: run_in_terminal(self._flush))  # type: ignore[union-attr]

    def _flush(self) -> None:
        self._flush_scheduled = False
        output = self._output
        if self._clear:
            self._clear = False
            output.erase_screen()
            output.cursor_goto(0, 0)
        lines, self._pending = self._pending, []
        if lines:
            fragments: list[tuple[str, str]] = []
            for line in lines:
                fragments.extend(line)
                fragments.append(("", "\n"))
            render_fragments(output, FormattedText(fragments), STYLE)
        if self._bell:
            self._bell = False
            output.bell()
        output.flush()

    def _toolbar(self) -> FormattedText:
        """The line under the input: who I am, how many are here, whether the link is up."""
        state = translate("tui_offline", self.lang) if self._offline else ""
        text = translate(
            "tui_toolbar",
            self.lang,
            nick=terminal_safe(self._nick()),
            count=len(self._roster()),
            state=state,
        )
        return FormattedText([("class:toolbar.offline" if self._offline else "", f" {text} ")])

    # -- typing ----------------------------------------------------------------------

    async def read_line(self) -> str | None:
        """The next line typed; None on Ctrl-D or Ctrl-C (both mean: leave the room)."""
        try:
            return await self._session.prompt_async(
                lambda: FormattedText([("class:prompt", f"{self._nick()}> ")]), style=STYLE
            )
        except (EOFError, KeyboardInterrupt):
            return None
