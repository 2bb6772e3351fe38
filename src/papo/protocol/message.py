"""The chat message envelope: the handout's ``{"user", "data"}`` plus optional papo keys."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from enum import StrEnum


class MessageType(StrEnum):
    """Known values of the optional ``type`` key; absent means :attr:`CHAT`."""

    CHAT = "chat"  # a line of chat (also what handout programs send, without "type")
    ME = "me"  # an action: "* ana waves"
    JOIN = "join"  # the user entered the room
    LEAVE = "leave"  # the user left the room (not "everyone stop")
    PRIVATE = "private"  # addressed to one nick (``to``)
    NICK = "nick"  # the user changed nick; ``data`` holds the new nick
    SYSTEM = "system"  # a notice from a server


#: The version of the papo envelope this code writes in ``v``.
PROTOCOL_VERSION = 1

#: Characters of the optional ``key``: a base64 Ed25519 public key (32 bytes).
KEY_CHARS = 44

#: Characters of the optional ``sig``: a base64 Ed25519 signature (64 bytes).
SIG_CHARS = 88


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message, as sent on the wire and as decoded from it.

    ``user`` and ``data`` are the handout's keys and always present. The other fields
    are papo's optional keys; programs written to the handout ignore them.
    ``plain`` and ``source`` are never sent: they describe how a message was received
    (``plain`` = the peer sent bare text, not JSON; ``source`` = its address as text).
    ``key`` and ``sig`` are nick ownership (:mod:`papo.protocol.nickkeys`): the sender's
    public key and its signature of the other keys, both base64.
    """

    user: str
    data: str
    type: str = MessageType.CHAT
    v: int | None = None
    id: str | None = None
    node: str | None = None
    seq: int | None = None
    ts: float | None = None
    part: int | None = None
    parts: int | None = None
    to: str | None = None
    room: str | None = None
    key: str | None = None
    sig: str | None = None
    plain: bool = False
    source: str | None = None

    def is_quit_word(self, word: str = "sair") -> bool:
        """True when this is a chat line saying the handout's stop word (any case, spaces)."""
        return self.type == MessageType.CHAT and self.data.strip().casefold() == word

    def wire_dict(self) -> dict[str, object]:
        """The JSON object for the wire: handout keys first, then papo keys that are set."""
        out: dict[str, object] = {"user": self.user, "data": self.data}
        if self.v is not None:
            out["v"] = self.v
        if self.type != MessageType.CHAT or self.v is not None:
            out["type"] = str(self.type)
        for key in ("id", "node", "seq", "ts", "part", "parts", "to", "room", "key", "sig"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _fast_init() -> object:
    """A constructor for :class:`ChatMessage` that sets its slots directly.

    The ``__init__`` that ``dataclass(frozen=True)`` writes looks up and calls
    ``object.__setattr__`` once per field, 16 times per message, which was ~1.9 of the
    ~7.5 us a datagram took to decode. This one calls each slot's own setter, bound once,
    with the same signature and defaults (a test compares them with the dataclass's
    fields): ~1 us, or ~0.8 with positional arguments. The class stays frozen:
    assigning an attribute still raises ``FrozenInstanceError``.
    """
    names = [field.name for field in fields(ChatMessage)]
    defaults = {
        field.name: field.default for field in fields(ChatMessage) if field.default is not MISSING
    }
    setters = {f"_set_{name}": getattr(ChatMessage, name).__set__ for name in names}
    parameters = ", ".join(
        name if name not in defaults else f"{name}=_default_{name}" for name in names
    )
    body = "\n".join(f"    _set_{name}(self, {name})" for name in names)
    namespace: dict[str, object] = {
        **setters,
        **{f"_default_{name}": value for name, value in defaults.items()},
    }
    exec(f"def __init__(self, {parameters}) -> None:\n{body}\n", namespace)
    init = namespace["__init__"]
    init.__qualname__ = "ChatMessage.__init__"  # type: ignore[attr-defined]
    init.__doc__ = ChatMessage.__init__.__doc__  # type: ignore[attr-defined]
    return init


ChatMessage.__init__ = _fast_init()  # type: ignore[method-assign,assignment]
