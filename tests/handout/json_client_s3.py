# The §3 client listing of the handout, unchanged except that the server's address may
# come from the command line (argv[1] = port, argv[2] = IP) so tests can use a free port.
import socket
import json
import sys

# Dados do usuário em formato de dicionário
usuario = {
    "nome": "Alice",
    "idade": 25,
    "email": "alice@example.com"
}

# Converter dicionário para JSON
usuario_json = json.dumps(usuario)

# Configurações do servidor
SERVER_IP = '127.0.0.1'
SERVER_PORT = 12345
if len(sys.argv) > 1:  # added for the tests: a free port instead of 12345
    SERVER_PORT = int(sys.argv[1])
if len(sys.argv) > 2:  # added for the tests
    SERVER_IP = sys.argv[2]

# Criar socket
cliente_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

# Conectar ao servidor
cliente_socket.connect((SERVER_IP, SERVER_PORT))

# Enviar JSON
cliente_socket.send(usuario_json.encode('utf-8'))

# Fechar o socket do cliente
cliente_socket.close()
