"""The chat itself, independent of transports and screens (sans-I/O).

One module per kind of conversation: ``multicast`` (the handout's sender/receiver
roles), and the others (the 1:1 TCP chat, the room, ...) beside it.
"""

from papo.session.multicast import (
    QUIT_WORD,
    Ended,
    Event,
    Late,
    Lost,
    Received,
    ReceiverSession,
    Rejected,
    SenderSession,
    SequenceTracker,
    SequenceVerdict,
    is_quit_word,
    new_node_id,
)

__all__ = [
    "QUIT_WORD",
    "Ended",
    "Event",
    "Late",
    "Lost",
    "Received",
    "ReceiverSession",
    "Rejected",
    "SenderSession",
    "SequenceTracker",
    "SequenceVerdict",
    "is_quit_word",
    "new_node_id",
]
