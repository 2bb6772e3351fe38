"""Newline-delimited framing for byte streams (pure, sans-I/O).

A :class:`LineFramer` takes bytes as they arrive from a stream (any chunking, one byte at
a time or many lines at once) and returns the complete lines it now holds. A line longer
than ``max_line_bytes`` is reported once as a :class:`FramingError` and its bytes are
skipped up to the next newline *without being buffered*, so a peer that never sends a
newline cannot make us hold more than ``max_line_bytes`` of its data.

Writing is :func:`frame_line`: one payload, one ``\\n``. JSON made by
:func:`papo.protocol.codec.encode` never contains a raw newline byte, so every encoded
message is exactly one line.
"""

from __future__ import annotations

from papo.errors import DecodeError

#: The longest line (without its ``\n``) a stream peer may send, in bytes. It matches the
#: codec's :data:`~papo.protocol.limits.MAX_DATAGRAM_BYTES`, so any line the framer
#: accepts is one the codec will look at.
MAX_LINE_BYTES = 65_535

_NEWLINE = b"\n"


class FramingError(DecodeError):
    """A stream broke the framing rules (a line too long); returned, never raised."""

    default_code = "frame_too_long"


class LineFramer:
    """Split a byte stream into ``\\n``-terminated lines of at most ``max_line_bytes``.

    ``feed(data)`` returns, in order, each complete line (bytes, without ``\\n`` and
    without a trailing ``\\r``) and one :class:`FramingError` per oversize line. The
    framer never holds more than ``max_line_bytes`` bytes.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be positive")
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()
        self._discarding = False  # inside an oversize line: drop bytes up to the newline
        self._discarded = 0  # bytes dropped of the current oversize line
        #: How many oversize lines were reported so far.
        self.oversize_lines = 0

    @property
    def pending_bytes(self) -> int:
        """How many bytes of an unfinished line are held."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        """Add ``data`` from the stream; return the lines (and errors) it completes."""
        out: list[bytes | FramingError] = []
        start = 0
        size = len(data)
        while start < size:
            end = data.find(_NEWLINE, start)
            if self._discarding:
                if end < 0:
                    self._discarded += size - start
                    return out
                self._discarded += end - start
                out.append(self._finish_oversize())
                start = end + 1
                continue
            chunk_end = size if end < 0 else end
            if len(self._buffer) + (chunk_end - start) > self.max_line_bytes:
                self._discarded = len(self._buffer) + (chunk_end - start)
                self._buffer.clear()
                if end < 0:
                    self._discarding = True
                    return out
                out.append(self._finish_oversize())
                start = end + 1
                continue
            self._buffer += data[start:chunk_end]
            if end < 0:
                return out
            line = bytes(self._buffer)
            self._buffer.clear()
            out.append(line[:-1] if line.endswith(b"\r") else line)
            start = end + 1
        return out

    def _finish_oversize(self) -> FramingError:
        self.oversize_lines += 1
        error = FramingError(size=self._discarded, max=self.max_line_bytes)
        self._discarding = False
        self._discarded = 0
        return error

    def end(self) -> list[FramingError]:
        """The stream ended: report an unfinished line (as an error) and reset."""
        out: list[FramingError] = []
        if self._discarding:
            out.append(self._finish_oversize())
        elif self._buffer:
            out.append(FramingError("frame_incomplete", size=len(self._buffer)))
            self._buffer.clear()
        return out


def frame_line(payload: bytes) -> bytes:
    """``payload`` plus ``\\n``; raises ValueError if it holds a newline (a caller bug)."""
    if _NEWLINE in payload:
        raise ValueError("a framed payload cannot contain a newline byte")
    return payload + _NEWLINE


__all__ = ["MAX_LINE_BYTES", "FramingError", "LineFramer", "frame_line"]
