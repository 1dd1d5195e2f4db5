mkdir d; echo x > d/f
python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind("d/sock")'
chmod 0750 d/sock
python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind("d/sock2")'
chmod 0604 d/sock2
