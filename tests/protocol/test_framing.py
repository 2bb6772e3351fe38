"""The newline framer: any chunking gives the same lines; oversize lines are skipped."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.framing import MAX_LINE_BYTES, FramingError, LineFramer, frame_line


def feed_in_chunks(framer: LineFramer, data: bytes, cuts: list[int]) -> list[bytes | FramingError]:
    out: list[bytes | FramingError] = []
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for start, end in itertools.pairwise(points):
        out.extend(framer.feed(data[start:end]))
    return out


def test_default_max_line_matches_the_codec_limit() -> None:
    from papo.protocol.limits import MAX_DATAGRAM_BYTES

    assert MAX_LINE_BYTES == MAX_DATAGRAM_BYTES
    assert LineFramer().max_line_bytes == MAX_LINE_BYTES


def test_lines_come_out_without_newline_and_crlf_is_accepted() -> None:
    framer = LineFramer()
    assert framer.feed(b"one\ntwo\r\nthr") == [b"one", b"two"]
    assert framer.pending_bytes == 3
    assert framer.feed(b"ee\n") == [b"three"]
    assert framer.pending_bytes == 0


def test_empty_lines_are_returned_for_the_caller_to_ignore() -> None:
    assert LineFramer().feed(b"\n\n") == [b"", b""]


def test_oversize_line_is_reported_once_and_skipped_to_the_next_newline() -> None:
    framer = LineFramer(max_line_bytes=8)
    out = framer.feed(b"ok\n" + b"x" * 5)
    assert out == [b"ok"]
    out = framer.feed(b"y" * 1000)
    assert out == []
    assert framer.pending_bytes == 0  # nothing of the oversize line is held
    out = framer.feed(b"zz\nafter\n")
    assert len(out) == 2
    assert isinstance(out[0], FramingError)
    assert out[0].code == "frame_too_long"
    assert out[0].details == {"size": 1007, "max": 8}
    assert out[1] == b"after"
    assert framer.oversize_lines == 1


def test_a_line_of_exactly_the_limit_is_accepted() -> None:
    framer = LineFramer(max_line_bytes=4)
    assert framer.feed(b"abcd\nabcde\n")[0] == b"abcd"
    assert isinstance(framer.feed(b"abcde\n")[0], FramingError)


def test_end_reports_an_unfinished_line() -> None:
    framer = LineFramer()
    framer.feed(b"partial")
    (error,) = framer.end()
    assert isinstance(error, FramingError)
    assert error.code == "frame_incomplete"
    assert framer.end() == []


def test_end_reports_an_unfinished_oversize_line() -> None:
    framer = LineFramer(max_line_bytes=2)
    framer.feed(b"abcdef")
    (error,) = framer.end()
    assert error.code == "frame_too_long"


def test_frame_line_appends_newline_and_refuses_embedded_ones() -> None:
    assert frame_line(b'{"user":"a"}') == b'{"user":"a"}\n'
    with pytest.raises(ValueError):
        frame_line(b"a\nb")


def test_framing_error_is_a_decode_error_so_transports_can_report_it() -> None:
    from papo.errors import DecodeError

    assert isinstance(FramingError(size=1, max=0), DecodeError)


def test_max_line_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LineFramer(0)


@given(
    lines=st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
)
def test_any_chunking_gives_the_same_lines(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(frame_line(line) for line in lines)
    out = feed_in_chunks(LineFramer(max_line_bytes=20), data, cuts)
    expected = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    assert out == expected


@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
)
def test_oversize_lines_become_errors_in_place_and_buffer_stays_bounded(
    lines: list[bytes], cuts: list[int]
) -> None:
    limit = 16
    framer = LineFramer(max_line_bytes=limit)
    data = b"".join(frame_line(line) for line in lines)
    out: list[bytes | FramingError] = []
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for start, end in itertools.pairwise(points):
        out.extend(framer.feed(data[start:end]))
        assert framer.pending_bytes <= limit
    assert len(out) == len(lines)
    for line, got in zip(lines, out, strict=True):
        if len(line) > limit:
            assert isinstance(got, FramingError)
        else:
            assert got == (line[:-1] if line.endswith(b"\r") else line)
