#!/usr/bin/env python3
"""Prática 03, §4: chat multicast. / The handout's multicast chat.

Uso / usage:
    python multicast.py emissor NOME      # digita mensagens; 'sair' encerra todos
    python multicast.py receptor NOME     # mostra as mensagens recebidas
    (também / also: sender, receiver; opções: --group --port --ttl --interface)

Runs from a fresh clone with no install: only the standard library is needed.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from papo.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="multicast.py"))
