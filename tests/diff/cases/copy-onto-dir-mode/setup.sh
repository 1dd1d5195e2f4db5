mkdir -p d; echo f > d/f; chmod 0755 d
mkdir -p e; echo g > e/g; chmod 0750 e
