"""The pure protocol layer: message types, codec, limits and text rules (no I/O)."""

from papo.protocol.codec import decode, encode, split_text
from papo.protocol.limits import Limits
from papo.protocol.message import ChatMessage, MessageType

__all__ = ["ChatMessage", "Limits", "MessageType", "decode", "encode", "split_text"]
