"""A papo bot in a few lines: answers ``!eco TEXT`` with TEXT and ``!quem`` with the roster.

    python examples/eco.py papo://127.0.0.1:5050        # a `papo serve` room
    python examples/eco.py multicast://                  # the handout's multicast group
    python examples/eco.py p2p://                        # the P2P mesh

It leaves when someone says ``!tchau``. Everything it reads is untrusted: it answers only
with text the library already made terminal-safe for display, and it never runs anything.
"""

from __future__ import annotations

import asyncio
import sys

from papo.errors import PapoError
from papo.protocol.text import terminal_safe
from papo.session.client import ChatLine, connect


async def run(address: str, nick: str) -> None:
    """Join ``address`` as ``nick`` and answer commands until someone says ``!tchau``."""
    async with connect(address, nick) as room:
        print(f"{nick} in {address}", flush=True)
        async for event in room:
            if not isinstance(event, ChatLine) or event.past or event.own:
                continue
            text = event.message.data.strip()
            if text.startswith("!eco "):
                await room.say(terminal_safe(text.removeprefix("!eco ")))
            elif text == "!quem":
                await room.say(", ".join(room.roster))
            elif text == "!tchau":
                await room.say("tchau!")
                return


def main() -> int:
    """Run the bot: ``eco.py ADDRESS [NICK]``."""
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        asyncio.run(run(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "eco"))
    except PapoError as error:
        print(f"eco: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
