mkdir -p d p; echo f > d/f; chmod 0755 d
echo x > p/x; chmod 0700 p
