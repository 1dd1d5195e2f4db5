mkdir -p src/.git && echo 8 > src/.git/HEAD
