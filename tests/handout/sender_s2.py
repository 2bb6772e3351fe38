# The handout's §2 sender listing, unchanged (it had no bug to fix).
import socket

import struct

# Configurações

MULTICAST_GROUP = '224.3.29.71'

MULTICAST_PORT = 5007

# Criar socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM,
socket.IPPROTO_UDP)

ttl = struct.pack('b', 1)

sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)

# Enviar mensagem

sock.sendto(f"Olá, grupo multicast!".encode('utf-8'),
(MULTICAST_GROUP , MULTICAST_PORT))
