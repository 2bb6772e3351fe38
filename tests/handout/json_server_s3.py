# The §3 server listing of the handout with its blocks in the order that works (the
# handout prints the display block before listen/accept/recv, where `dados` does not exist
# yet). Nothing else changed, except that the address may come from the command line
# (argv[1] = port, argv[2] = IP) so tests can use a free port on 127.0.0.1.
import socket
import json
import sys

# Configurações do servidor
SERVER_IP = ''
SERVER_PORT = 12345
if len(sys.argv) > 1:  # added for the tests: a free port instead of 12345
    SERVER_PORT = int(sys.argv[1])
if len(sys.argv) > 2:  # added for the tests: 127.0.0.1 instead of every interface
    SERVER_IP = sys.argv[2]

# Criar socket
servidor_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

# Vincular o socket ao endereço e porta
servidor_socket.bind((SERVER_IP, SERVER_PORT))

# Aguardar conexões
servidor_socket.listen()
print("Aguardando conexões...")

# Aceitar conexão
conexao, endereco = servidor_socket.accept()
print(f"Conectado a {endereco}")

# Receber dados JSON
dados_json = conexao.recv(1024).decode('utf-8')
dados = json.loads(dados_json)

# Exibir dados recebidos (forma 1)
print("Dados recebidos:")
print(dados)

# Outra forma de exibir dados recebidos (forma 2)
print("Dados recebidos:")
print(dados['nome'])
print(dados['idade'])
print(dados['email'])

# Mais uma forma de exibir dados recebidos (forma 3)
print(f"Dados recebidos. Nome: {dados['nome']}. Idade: {dados['idade']}. Email: {dados['email']} ")

# Fechar conexão e socket do servidor
conexao.close()
servidor_socket.close()
