echo "just text" | gzip -9n > notatar.gz
echo plain > plain.txt
printf 'not a tar either' > fake.tar
