"""`papo chat --room NAME`: a multicast room of its own, apart from the handout's room."""

from __future__ import annotations

import pytest
from conftest import PAPO, free_udp_port

from papo.protocol.rooms import room_group

pytestmark = pytest.mark.netns

WAIT = 15.0


def test_two_users_in_a_named_room_talk_and_the_default_room_hears_nothing(run_process) -> None:
    port = str(free_udp_port())
    common = ["--plain", "--no-history", "--port", port]
    ana = run_process([*PAPO, "chat", "ana", "--room", "grupo1", *common])
    ana.wait_for(room_group("grupo1"), WAIT)  # the welcome names the room's own group
    cid = run_process([*PAPO, "chat", "cid", *common])
    cid.wait_for("in the room of multicast group", WAIT)
    bia = run_process([*PAPO, "chat", "bia", "--sala", "GRUPO1", *common])  # ana listens now
    ana.wait_for("bia joined", WAIT)
    bia.write("oi, grupo\n")
    ana.wait_for("bia: oi, grupo", WAIT)
    cid.write("/who\n")
    assert cid.wait_for("In the room", WAIT).endswith("In the room (1): cid")
    for user in (ana, bia, cid):
        user.write("sair\n")
        assert user.popen.wait(WAIT) == 0
    assert not any("oi, grupo" in line for line in cid.lines)


def test_a_room_with_a_group_or_a_bad_name_is_one_clear_error(run_process) -> None:
    for extra, text in (
        (["--group", "239.1.1.1"], "already picks the room's group"),
        (["--room", "a b"], "invalid room name"),
    ):
        args = [*PAPO, "chat", "ana", "--plain", "--no-history"]
        if extra[0] != "--room":
            args += ["--room", "grupo1"]
        chat = run_process([*args, *extra])
        assert chat.popen.wait(WAIT) == 2
        error = chat.popen.stderr.read()
        assert text in error and "Traceback" not in error, error
