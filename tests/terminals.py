"""What end-to-end tests read from papo's terminals: chat lines and real tmux screens."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable

from conftest import PAPO, ROOT, papo_env


def untimed(lines: list[str]) -> list[str]:
    """The lines without their ``[HH:MM:SS] `` stamp (checked to be there)."""
    out = []
    for line in lines:
        assert line[0] == "[" and line[9:11] == "] ", line
        out.append(line[11:])
    return out


class Tmux:
    """A private tmux server (its own socket) whose sessions run papo in a real terminal."""

    def __init__(self) -> None:
        self.base = ["tmux", "-u", "-L", f"papo-test-{os.getpid()}-{time.monotonic_ns()}"]
        self.base += ["-f", "/dev/null"]

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, timeout=10, check=True
        )
        return result.stdout

    def start(self, name: str, args: list[str], width: int = 100, height: int = 30) -> None:
        """Session ``name``: ``papo ARGS`` in a ``width`` x ``height`` terminal, in English."""
        env = {k: v for k, v in papo_env("en").items() if k in ("PYTHONPATH", "LANG", "PATH")}
        env["TERM"] = "tmux-256color"
        command = ["env", *(f"{k}={v}" for k, v in env.items()), *PAPO, *args]
        self.run(
            "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
            "-c", str(ROOT), shlex.join(command),
        )  # fmt: skip
        self.run("set-option", "-t", name, "remain-on-exit", "on")

    def type(self, target: str, text: str, enter: bool = False) -> None:
        self.run("send-keys", "-t", target, "-l", text)
        if enter:
            self.run("send-keys", "-t", target, "Enter")

    def screen(self, target: str, history: bool = False, escapes: bool = False) -> list[str]:
        args = ["capture-pane", "-p", "-J", "-t", target]
        if history:
            args += ["-S", "-"]
        if escapes:
            args.append("-e")
        return [line.rstrip() for line in self.run(*args).split("\n")]

    def wait_for(
        self, target: str, condition: Callable[[list[str]], bool], timeout: float = 20.0
    ) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen(target, history=True)
            if condition(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"screen of {target} never matched:\n" + "\n".join(lines))
            time.sleep(0.05)  # polling a screen: there is no event to await

    def wait_text(self, target: str, pattern: str, timeout: float = 20.0) -> list[str]:
        regex = re.compile(pattern)
        return self.wait_for(target, lambda lines: any(regex.search(ln) for ln in lines), timeout)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10, check=False)
