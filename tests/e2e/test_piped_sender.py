"""A file piped into ``papo send`` reaches the receivers whole: the sender paces itself
under the receivers' per-source flood limit (issue 7: no loss at 1 000 msg/s)."""

from __future__ import annotations

import time

import pytest
from conftest import PAPO, free_udp_port

from papo.protocol.ratelimit import SEND_BURST, SEND_RATE, SOURCE_BURST

pytestmark = pytest.mark.netns

LINES = 3000  # three times the receivers' burst: without pacing most would be cut


def test_a_file_piped_into_papo_send_arrives_whole_and_is_not_taken_for_a_flood(
    run_process,
) -> None:
    assert LINES > 2 * SOURCE_BURST
    port = free_udp_port()
    cid = run_process([*PAPO, "receive", "cid", "--port", str(port)])
    cid.wait_for("waiting for messages")
    ana = run_process([*PAPO, "send", "ana", "--port", str(port)])
    ana.wait_for("ready")
    started = time.monotonic()
    ana.write("".join(f"line {index}\n" for index in range(LINES)))
    ana.close_stdin()  # end of the file: the sender says sair after the last line
    cid.wait_for("ana typed 'sair'", timeout=30)
    took = time.monotonic() - started
    assert ana.wait(10) == 0
    assert cid.wait(10) == 0
    shown = [line.split("ana: ", 1)[1] for line in cid.lines if "ana: line " in line]
    assert shown == [f"line {index}" for index in range(LINES)], "every line, in order"
    assert not [line for line in cid.lines if "too fast" in line]
    assert took >= (LINES - SEND_BURST) / SEND_RATE * 0.9, "the sender kept to its pace"


def test_a_file_piped_into_papo_chat_arrives_whole_and_is_not_taken_for_a_flood(
    run_process,
) -> None:
    port = free_udp_port()
    cid = run_process([*PAPO, "receive", "cid", "--port", str(port)])
    cid.wait_for("waiting for messages")
    ana = run_process([*PAPO, "chat", "ana", "--port", str(port), "--plain", "--no-history"])
    ana.wait_for("in the room of multicast group")
    started = time.monotonic()
    ana.write("".join(f"line {index}\n" for index in range(LINES)))
    ana.close_stdin()  # end of the file: papo chat says goodbye and leaves
    cid.wait_for(f"ana: line {LINES - 1}", timeout=30)
    took = time.monotonic() - started
    assert ana.wait(10) == 0
    shown = [line.split("ana: ", 1)[1] for line in cid.lines if "ana: line " in line]
    assert shown == [f"line {index}" for index in range(LINES)], "every line, in order"
    assert not [line for line in cid.lines if "too fast" in line or "flooded" in line]
    assert took >= (LINES - SEND_BURST) / SEND_RATE * 0.9, "papo chat kept to its pace"
