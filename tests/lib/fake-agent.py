# fake-agent.py SOCK [N]: a stand-in for an ssh agent that tests can check
# was reached: it listens on the unix socket SOCK and answers each
# connection with b"agent:" + everything the client sent before shutting
# down its write side; N connections, then it exits (default: until killed
# or 120 s without a connection).
import socket
import sys

path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else -1
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(5)
s.settimeout(120)
while count != 0:
    c, _ = s.accept()
    data = b""
    while True:
        x = c.recv(100)
        if not x:
            break
        data += x
    c.sendall(b"agent:" + data)
    c.close()
    count -= 1
