"""The chat session: typed lines to commands and messages, transport events to screen events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.message import ChatMessage, MessageType
from papo.session.chat import (
    LEAVE_TEXT,
    BadCommand,
    ChangeNick,
    ChatLine,
    ChatSession,
    ClearScreen,
    Ended,
    Leave,
    Notice,
    Outgoing,
    SendText,
    ShowHelp,
    ShowWho,
    mentions,
    parse_line,
)
from papo.transport.base import (
    Delivered,
    Dropped,
    MessagesLost,
    NickChanged,
    RosterChanged,
    StatusChanged,
)


def session(nick: str = "ana") -> ChatSession:
    return ChatSession(nick, clock=lambda: 1_700_000_000.0)


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("oi", SendText("chat", "oi")),
        ("  espaços  ", SendText("chat", "  espaços  ")),
        ("/help", ShowHelp()),
        ("/ajuda", ShowHelp()),
        ("/who", ShowWho()),
        ("/WHO", ShowWho()),
        ("/clear", ClearScreen()),
        ("/quit", Leave()),
        ("sair", Leave()),
        (" SAIR ", Leave()),
        ("/me acena", SendText("me", "acena")),
        ("/msg bob oi bob", SendText("private", "oi bob", to="bob")),
        ("/nick bia", ChangeNick("bia")),
        ("//etc/passwd", SendText("chat", "/etc/passwd")),
        ("/me", BadCommand("chat_usage_me")),
        ("/msg bob", BadCommand("chat_usage_msg")),
        ("/nick a b", BadCommand("chat_usage_nick")),
        ("/frobnicate x", BadCommand("chat_unknown_command", {"command": "/frobnicate"})),
    ],
)
def test_typed_line_becomes_its_command(line: str, command: object) -> None:
    assert parse_line(line) == command


@pytest.mark.parametrize("line", ["", "   ", "\n", "\r\n"])
def test_blank_line_is_no_command(line: str) -> None:
    assert parse_line(line) is None


def test_sair_sends_a_leave_message_that_is_not_the_stop_word_and_ends() -> None:
    actions = session().handle_input("sair")
    assert isinstance(actions[0], Outgoing)
    leave = actions[0].message
    assert leave.type == MessageType.LEAVE
    assert leave.data == LEAVE_TEXT
    assert leave.data.strip().casefold() != "sair"
    assert isinstance(actions[-1], Ended)


def test_chat_line_is_sent_and_echoed_as_own() -> None:
    (action,) = session().handle_input("oi gente")
    assert isinstance(action, Outgoing)
    assert action.message == ChatMessage(user="ana", data="oi gente")
    assert action.echo is not None and action.echo.own


def test_private_message_carries_its_recipient() -> None:
    (action,) = session().handle_input("/msg bob segredo")
    assert isinstance(action, Outgoing)
    assert (action.message.type, action.message.to, action.message.data) == (
        "private",
        "bob",
        "segredo",
    )


def test_invalid_new_nick_is_refused_locally_with_a_warning() -> None:
    (notice,) = session().handle_input("/nick \u202eevil")
    assert isinstance(notice, Notice) and notice.warning
    assert notice.error is not None and notice.error.code == "bad_nick"


def test_nick_change_applies_only_when_the_transport_confirms() -> None:
    chat = session()
    (action,) = chat.handle_input("/nick bia")
    assert isinstance(action, Outgoing) and action.message.type == "nick"
    assert chat.nick == "ana"
    (notice,) = chat.handle_event(NickChanged("bia"))
    assert chat.nick == "bia" and notice.code == "chat_nick_now"


def test_who_lists_the_latest_roster() -> None:
    chat = session()
    chat.handle_event(RosterChanged(("ana", "bob", "cid")))
    (notice,) = chat.handle_input("/who")
    assert isinstance(notice, Notice)
    assert notice.details == {"count": 3, "nicks": ("ana", "bob", "cid")}


def test_unknown_command_is_a_warning_not_a_message() -> None:
    (notice,) = session().handle_input("/xyz")
    assert isinstance(notice, Notice) and notice.warning


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (ChatMessage(user="bob", data="entrou", type="join"), "chat_joined"),
        (ChatMessage(user="bob", data="saiu", type="leave"), "chat_left"),
        (ChatMessage(user="bob", data="sair"), "chat_left"),  # a handout sender quitting
        (ChatMessage(user="bob", data="bruno", type="nick"), "chat_renamed"),
        (ChatMessage(user="server", data="bem-vindos", type="system"), "chat_system"),
    ],
)
def test_room_messages_become_system_lines(message: ChatMessage, code: str) -> None:
    (notice,) = session().handle_event(Delivered(message))
    assert isinstance(notice, Notice) and notice.code == code


def test_unknown_message_types_are_not_shown() -> None:
    assert (
        session().handle_event(Delivered(ChatMessage(user="bob", data="", type="presence"))) == []
    )


def test_chat_message_that_names_me_is_a_mention() -> None:
    chat = session()
    (line,) = chat.handle_event(Delivered(ChatMessage(user="bob", data="oi @Ana, tudo bem?")))
    assert isinstance(line, ChatLine) and line.mention and not line.own
    (line,) = chat.handle_event(Delivered(ChatMessage(user="bob", data="banana")))
    assert isinstance(line, ChatLine) and not line.mention


def test_private_message_to_me_is_a_mention() -> None:
    message = ChatMessage(user="bob", data="psiu", type="private", to="ana")
    (line,) = session().handle_event(Delivered(message))
    assert isinstance(line, ChatLine) and line.mention


@pytest.mark.parametrize(
    ("text", "nick", "expected"),
    [
        ("ana", "ana", True),
        ("oi ANA!", "ana", True),
        ("@ana: olha", "ana", True),
        ("banana", "ana", False),
        ("anastácia", "ana", False),
        ("ping zé.", "zé", True),
    ],
)
def test_mentions_match_whole_words_only(text: str, nick: str, expected: bool) -> None:
    assert mentions(text, nick) is expected


def test_look_alike_sender_is_flagged_on_its_lines_and_once_on_join() -> None:
    chat = session()
    notices = chat.handle_event(RosterChanged(("ana", "bob", "b0b")))
    assert [n.code for n in notices] == ["chat_lookalike"]
    assert chat.handle_event(RosterChanged(("ana", "bob", "b0b"))) == []
    (line,) = chat.handle_event(Delivered(ChatMessage(user="b0b", data="sou o bob")))
    assert isinstance(line, ChatLine) and line.imitates == "bob"


def test_someone_imitating_me_is_flagged() -> None:
    (line,) = session().handle_event(Delivered(ChatMessage(user="аna", data="sou a ana")))
    assert isinstance(line, ChatLine) and line.imitates == "ana"


def test_losses_drops_and_status_become_notices() -> None:
    chat = session()
    (lost,) = chat.handle_event(MessagesLost("bob", 3))
    assert lost.code == "chat_lost" and lost.details == {"user": "bob", "count": 3}
    (dropped,) = chat.handle_event(Dropped(DecodeError("decode_empty"), "10.0.0.9:4000"))
    assert dropped.code == "chat_dropped" and dropped.error is not None
    (status,) = chat.handle_event(StatusChanged("reconnecting", {"attempt": 2}))
    assert status.code == "reconnecting"


def test_someone_else_using_my_exact_nick_is_flagged() -> None:
    (line,) = session().handle_event(Delivered(ChatMessage(user="ana", data="sou eu")))
    assert isinstance(line, ChatLine) and line.imitates == "ana"


@given(st.text(max_size=200))
def test_any_typed_line_gives_a_command_or_nothing_and_never_raises(line: str) -> None:
    command = parse_line(line)
    chat = session()
    actions = chat.handle_input(line)
    assert (command is None) == (actions == [])


nicks = st.text(min_size=1, max_size=40)


@given(user=nicks, data=st.text(max_size=300), kind=st.sampled_from(sorted(MessageType)))
def test_any_delivered_message_is_handled_without_raising(user: str, data: str, kind: str) -> None:
    chat = session()
    chat.handle_event(RosterChanged(tuple(sorted({"ana", user}))))
    for event in chat.handle_event(Delivered(ChatMessage(user=user, data=data, type=kind))):
        assert isinstance(event, ChatLine | Notice)


def test_room_server_replay_is_shown_as_past_lines_with_their_own_time() -> None:
    chat = session("ana")
    chat.handle_event(StatusChanged("room_history_start", {"count": 2}))
    earlier = [
        ChatMessage(user="bia", data="antes, ana", ts=1_600_000_000.0),
        ChatMessage(user="ana", data="eu de outra vez", ts=1_600_000_001.0),
    ]
    replayed = [line for m in earlier for line in chat.handle_event(Delivered(m))]
    assert [type(line) for line in replayed] == [ChatLine, ChatLine]
    assert all(line.past and not line.mention and line.imitates is None for line in replayed)
    assert [line.when for line in replayed] == [1_600_000_000.0, 1_600_000_001.0]
    assert replayed[1].own
    chat.handle_event(StatusChanged("room_history_end"))
    (live,) = chat.handle_event(Delivered(ChatMessage(user="bia", data="agora, ana")))
    assert isinstance(live, ChatLine) and not live.past and live.mention
