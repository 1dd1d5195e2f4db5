echo a > a; echo b > b; mkdir -p dir/sub; echo c > dir/sub/c; chmod 0700 dir/sub
mkdir -p realdir; echo i > realdir/inner; ln -s realdir linkdir
echo br > 'br[x]'
