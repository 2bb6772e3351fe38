# The §1 TCP chat written the way students write it from the course videos (parts 1-3):
# client and server as functions in one file, role, name (and host/port) from the command
# line, the names exchanged first, then one message each in turn with plain send() and
# recv(1024). "fim" ends. Used to check that papo talks to it byte for byte, both roles.
import socket
import sys


def servidor(nome, host, porta):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, porta))
    s.listen()
    print("Aguardando conexão...")
    conexao, endereco = s.accept()
    nome_cliente = conexao.recv(1024).decode()
    conexao.send(nome.encode())
    print(f"Conectado com {nome_cliente}")
    while True:
        mensagem = conexao.recv(1024).decode()
        print(f"{nome_cliente}: {mensagem}")
        if mensagem == "fim":
            break
        resposta = input(f"{nome}: ")
        conexao.send(resposta.encode())
        if resposta == "fim":
            break
    conexao.close()
    s.close()


def cliente(nome, host, porta):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((host, porta))
    s.send(nome.encode())
    nome_servidor = s.recv(1024).decode()
    print(f"Conectado com {nome_servidor}")
    while True:
        mensagem = input(f"{nome}: ")
        s.send(mensagem.encode())
        if mensagem == "fim":
            break
        resposta = s.recv(1024).decode()
        print(f"{nome_servidor}: {resposta}")
        if resposta == "fim":
            break
    s.close()


if __name__ == "__main__":
    papel = sys.argv[1]
    nome = sys.argv[2]
    host = "127.0.0.1"
    porta = 5050
    if len(sys.argv) > 3:
        host = sys.argv[3]
    if len(sys.argv) > 4:
        porta = int(sys.argv[4])
    if papel == "servidor":
        servidor(nome, host, porta)
    else:
        cliente(nome, host, porta)
