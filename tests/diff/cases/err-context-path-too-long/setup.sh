python3 - <<'PY'
import os
fd = os.open('.', os.O_RDONLY)
os.mkdir('t'); d = os.open('t', os.O_RDONLY, dir_fd=fd)
for i in range(90):
    os.mkdir('d' * 60, dir_fd=d)
    n = os.open('d' * 60, os.O_RDONLY, dir_fd=d); os.close(d); d = n
f = os.open('f', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=d); os.write(f, b'deep\n'); os.close(f)
PY
