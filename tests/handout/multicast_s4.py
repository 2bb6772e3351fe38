# A §4 deliverable written the way a student writes it from the handout: the §2 sender
# and receiver as functions in one file, role and name from the command line, a JSON
# {"user", "data"} message, "sair" ends. Used to check that papo talks to it both ways.
import json
import socket
import struct
import sys

MULTICAST_GROUP = '224.3.29.71'
MULTICAST_PORT = 5007


def emissor(nome):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    ttl = struct.pack('b', 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    while True:
        texto = input()
        message = {"user": None, "data": None}
        message["user"] = nome
        message["data"] = texto
        sock.sendto(json.dumps(message).encode('utf-8'), (MULTICAST_GROUP, MULTICAST_PORT))
        if texto == "sair":
            break


def receptor(nome):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('', MULTICAST_PORT))
    group = socket.inet_aton(MULTICAST_GROUP)
    mreq = struct.pack('4sL', group, socket.INADDR_ANY)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    print(f"Receptor de {nome} aguardando mensagens...")
    while True:
        data, addr = sock.recvfrom(1024)
        message = json.loads(data.decode('utf-8'))
        print(f"{message['user']}: {message['data']}")
        if message["data"] == "sair":
            break


if __name__ == '__main__':
    tipo = sys.argv[1]
    nome = sys.argv[2]
    if tipo == "emissor":
        emissor(nome)
    elif tipo == "receptor":
        receptor(nome)
