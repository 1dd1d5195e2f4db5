mkdir -p d/sub
echo data > d/a
ln d/a d/b
ln d/a d/sub/c
echo other > other
ln other d/sub/other-link
