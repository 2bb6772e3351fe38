"""How big and how long each scenario runs: ``full`` (the README's tables) and ``quick``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Sizes, counts and time bounds of one harness run."""

    name: str
    runs: int
    fanout_subscribers: tuple[int, ...]
    fanout_publishers: tuple[int, ...]
    #: Deliveries (messages x subscribers) a blast aims at; messages are clamped below.
    deliveries: int
    min_messages: int
    max_messages: int
    blast_deadline_s: float
    idle_s: float
    paced_rate: int
    paced_seconds: float
    idle_clients: tuple[int, ...]
    idle_settle_s: float
    multicast_receivers: tuple[int, ...]
    multicast_messages: int
    multicast_paced_seconds: float
    multicast_deadline_s: float
    mesh_nodes: int


FULL = Profile(
    name="full",
    runs=3,
    fanout_subscribers=(10, 100, 1000),
    fanout_publishers=(1, 10),
    deliveries=400_000,
    min_messages=1_000,
    max_messages=20_000,
    blast_deadline_s=10.0,
    idle_s=3.0,
    paced_rate=1000,
    paced_seconds=1.5,
    idle_clients=(1000, 10_000),
    idle_settle_s=1.0,
    multicast_receivers=(1, 4),
    multicast_messages=50_000,
    multicast_paced_seconds=2.0,
    multicast_deadline_s=10.0,
    mesh_nodes=5,
)

QUICK = Profile(
    name="quick",
    runs=1,
    fanout_subscribers=(20,),
    fanout_publishers=(1, 10),
    deliveries=20_000,
    min_messages=100,
    max_messages=2_000,
    blast_deadline_s=3.0,
    idle_s=0.3,
    paced_rate=1000,
    paced_seconds=0.3,
    idle_clients=(200,),
    idle_settle_s=0.2,
    multicast_receivers=(1,),
    multicast_messages=3_000,
    multicast_paced_seconds=0.3,
    multicast_deadline_s=3.0,
    mesh_nodes=5,
)

PROFILES = {profile.name: profile for profile in (FULL, QUICK)}
