"""The multi-user room's rules: unique nicks, relaying, private messages, rate limits.

The rules are a pure state machine, :class:`~papo.protocol.room_state.Room`, kept in the
protocol layer so the room server (a transport) can run it while imports still point
down only; this module is where the session layer and programs find them.
"""

from papo.protocol.room_state import (
    MAX_CLIENTS,
    MAX_ERRORS_PER_CLIENT,
    RATE_BURST,
    RATE_MESSAGES_PER_SECOND,
    Action,
    Broadcast,
    Close,
    Log,
    Room,
    RoomRules,
    Send,
    TokenBucket,
)

__all__ = [
    "MAX_CLIENTS",
    "MAX_ERRORS_PER_CLIENT",
    "RATE_BURST",
    "RATE_MESSAGES_PER_SECOND",
    "Action",
    "Broadcast",
    "Close",
    "Log",
    "Room",
    "RoomRules",
    "Send",
    "TokenBucket",
]
