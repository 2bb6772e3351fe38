"""``papo nats``: real processes chat through a real 3-node cluster; a late one reads history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PAPO
from nats_cluster import NatsCluster, require_nats_server

from papo.store.history import HistoryStore

#: Seconds any one line may take to appear.
WAIT = 20.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(require_nats_server(), tmp_path)
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


def test_papo_nats_users_on_two_nodes_chat_and_a_late_one_reads_the_history(
    cluster: NatsCluster, run_process, tmp_path: Path
) -> None:
    def join(nick: str, first: str, lang: str = "en"):
        servers = ",".join(cluster.urls(first))
        history = str(tmp_path / f"{nick}.sqlite3")
        options = ["--room", "sala1", "--plain", "--history", history]
        process = run_process([*PAPO, "nats", nick, "--server", servers, *options], lang=lang)
        process.wait_for("NATS" if lang == "en" else "servidor NATS", WAIT)
        return process

    ana = join("ana", "n1")
    bia = join("bia", "n2")
    ana.write("oi, bia\n")
    bia.wait_for("ana: oi, bia", WAIT)
    bia.write("oi, ana\n")
    ana.wait_for("bia: oi, ana", WAIT)

    caio = join("caio", "n3", lang="pt")
    caio.wait_for("bia: oi, ana", WAIT)
    assert any("ana: oi, bia" in line for line in caio.lines)
    for process in (ana, bia, caio):
        process.write("sair\n")
        assert process.wait(WAIT) == 0
    assert not any("reconnecting" in line for line in ana.rest(WAIT))
    # Each node kept the conversation it saw (its own lines too) in its local history.
    for nick in ("ana", "bia", "caio"):
        with HistoryStore(tmp_path / f"{nick}.sqlite3") as store:
            assert [m.data for m in store.last("sala1", 10)] == ["oi, bia", "oi, ana"], nick


def test_papo_chat_with_nats_joins_the_same_room_as_papo_nats(
    cluster: NatsCluster, run_process
) -> None:
    servers = ",".join(cluster.urls("n2"))
    ana = run_process([*PAPO, "chat", "ana", "--nats", servers, "--plain"])
    ana.wait_for("NATS", WAIT)
    bia = run_process([*PAPO, "nats", "bia", "--server", servers, "--plain", "--no-history"])
    bia.wait_for("NATS", WAIT)
    bia.write("oi, ana\n")
    ana.wait_for("bia: oi, ana", WAIT)
    for process in (ana, bia):
        process.write("sair\n")
        assert process.wait(WAIT) == 0


@pytest.mark.parametrize("other", [["--server", "127.0.0.1"], ["--p2p"], ["--senha", "x"]])
def test_papo_chat_refuses_nats_with_another_mode_in_one_line(run_process, other) -> None:
    chat = run_process([*PAPO, "chat", "ana", "--nats", "nats://127.0.0.1:4222", *other])
    assert chat.wait(WAIT) == 2
    assert len(chat.stderr_now().strip().splitlines()) == 1
