"""`papo doctor`'s checks on made-up interface lists, and its report in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from papo.discovery.doctor import (
    DoctorReport,
    Finding,
    Level,
    check_interfaces,
    check_port,
    check_route,
    check_vpn,
    default_route_interface,
    self_test,
)
from papo.discovery.interfaces import Interface
from papo.ui.doctor import report_lines


def iface(name: str, index: int, ipv4: str | None = "10.0.0.1", **flags: bool) -> Interface:
    values = {"up": True, "loopback": False, "multicast": True, "point_to_point": False}
    values.update(flags)
    return Interface(name=name, index=index, ipv4=ipv4, **values)


LO = iface("lo", 1, "127.0.0.1", loopback=True, multicast=False)
ETH = iface("eth0", 2, "192.168.0.7")
WIFI = iface("wlan0", 3, "10.1.1.5")


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def test_interface_without_multicast_is_the_problem_named() -> None:
    findings = check_interfaces([LO, iface("eth0", 2, multicast=False)], None)
    assert codes(findings) == ["doctor_no_multicast_interface"]
    assert findings[0].level == Level.PROBLEM
    assert findings[0].details["without"] == "eth0"
    assert "doctor_next_peer" in findings[0].advice


def test_several_interfaces_suggest_choosing_one() -> None:
    findings = check_interfaces([LO, ETH, WIFI], None)
    assert codes(findings) == ["doctor_interfaces", "doctor_several_interfaces"]
    assert "eth0 (192.168.0.7)" in str(findings[0].details["names"])


@pytest.mark.parametrize(
    ("interface", "reason"),
    [
        (iface("eth0", 2, up=False), "doctor_reason_down"),
        (iface("eth0", 2, ipv4=None), "doctor_reason_no_ipv4"),
        (iface("eth0", 2, multicast=False), "doctor_reason_no_multicast"),
    ],
)
def test_wrong_interface_says_why_it_cannot_be_used(interface: Interface, reason: str) -> None:
    (finding,) = check_interfaces([LO, interface], "eth0")
    assert finding.code == "doctor_interface_unusable"
    assert finding.details["reason"] == reason


def test_unknown_interface_lists_the_usable_ones() -> None:
    (finding,) = check_interfaces([LO, ETH], "eth9")
    assert finding.code == "doctor_unknown_interface"
    assert "eth0" in str(finding.details["names"])


def test_interface_may_be_chosen_by_address() -> None:
    assert codes(check_interfaces([LO, ETH], "192.168.0.7")) == ["doctor_interface_chosen"]


def test_loopback_only_is_a_warning_not_a_failure() -> None:
    lo = iface("lo", 1, "127.0.0.1", loopback=True)
    (finding,) = check_interfaces([lo], None)
    assert (finding.code, finding.level) == ("doctor_loopback_only", Level.WARNING)


def test_vpn_is_reported_and_stronger_when_it_carries_the_default_route() -> None:
    tun = iface("wg0", 4, "10.8.0.2", point_to_point=True)
    assert codes(check_vpn([LO, ETH, tun], "eth0")) == ["doctor_vpn"]
    assert codes(check_vpn([LO, ETH, tun], "wg0")) == ["doctor_vpn_default"]
    assert check_vpn([LO, ETH], "eth0") == []


def test_default_route_interface_is_read_from_the_routing_table(tmp_path: Path) -> None:
    table = tmp_path / "route"
    table.write_text(
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
        "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"
        "wg0\t00000000\t0100080A\t0003\t0\t0\t0\t00000000\n"
    )
    assert default_route_interface(str(table)) == "wg0"
    assert default_route_interface(str(tmp_path / "missing")) is None


@pytest.mark.netns
def test_route_check_names_the_interface_the_group_goes_out_of() -> None:
    # The test namespace routes 224.0.0.0/4 on lo; tests/e2e/test_p2p.py covers a host
    # without any multicast route.
    (finding,) = check_route([LO])
    assert (finding.code, finding.details["interface"]) == ("doctor_route", "lo")


@pytest.mark.netns
def test_port_held_alone_by_another_program_is_named(free_port: int) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hog:
        hog.bind(("0.0.0.0", free_port))  # no SO_REUSEADDR: nobody may share it
        (finding,) = check_port(port=free_port)
    assert (finding.code, finding.details["port"]) == ("doctor_port_taken", free_port)
    (finding,) = check_port(port=free_port)
    assert finding.code == "doctor_port_free"


@pytest.fixture
def free_port() -> int:
    from conftest import free_udp_port

    return free_udp_port()


@pytest.mark.netns
def test_self_test_hears_its_own_beacon_on_loopback_and_no_peers(free_port: int) -> None:
    import asyncio

    findings, peers = asyncio.run(self_test(None, 0.5, port=free_port))
    assert "doctor_loopback_ok" in codes(findings)
    assert "doctor_no_peers" in codes(findings)
    assert peers == []


@pytest.mark.netns
def test_self_test_lists_the_room_servers_that_answer_and_not_as_peers(free_port: int) -> None:
    import asyncio

    from papo.discovery.beacon import BeaconDiscovery
    from papo.discovery.rooms import RoomAnnouncer

    async def body() -> tuple[list[Finding], list[object]]:
        announcer = RoomAnnouncer(
            "Turma \x1b[31mA",
            5050,
            discovery=lambda interface: BeaconDiscovery(interface, port=free_port),
        )
        await announcer.start()
        try:
            return await self_test(None, 1.0, port=free_port)  # type: ignore[return-value]
        finally:
            await announcer.close()

    findings, peers = asyncio.run(body())
    rooms = [finding for finding in findings if finding.code == "doctor_rooms_seen"]
    assert len(rooms) == 1 and rooms[0].details["count"] == 1
    assert "127.0.0.1:5050" in str(rooms[0].details["rooms"])
    assert "\x1b" not in str(rooms[0].details["rooms"])
    assert peers == []


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_report_has_one_line_per_finding_and_numbered_next_steps(lang: str) -> None:
    report = DoctorReport(
        (
            Finding(
                "doctor_no_multicast_interface",
                Level.PROBLEM,
                {"without": "eth0\x1b[31m"},
                ("doctor_next_enable_multicast", "doctor_next_peer"),
            ),
            Finding("doctor_port_free", Level.OK, {"port": 7007}),
        )
    )
    lines = report_lines(report, lang)
    assert lines[0].startswith("[xx]") and "eth0\\x1b[31m" in lines[0]
    assert lines[1].startswith("[ok]") and "7007" in lines[1]
    assert any(line.startswith("  1. ") for line in lines)
    assert any(line.startswith("  2. ") and "--peer" in line for line in lines)
    assert not report.healthy
    assert all("{" not in line for line in lines)
