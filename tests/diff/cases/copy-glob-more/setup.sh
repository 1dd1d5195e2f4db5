echo a > a.txt; echo h > .h.txt; mkdir -p d1/in d2; echo 1 > d1/f; echo 2 > d2/g; chmod 0750 d2
mkdir -p sub/p sub/q; echo px > sub/p/x; echo qx > sub/q/x; echo sp > 'sp ace1'
mkdir -p real; echo r > real/r; ln -s real ldir; ln -s a.txt lfile
