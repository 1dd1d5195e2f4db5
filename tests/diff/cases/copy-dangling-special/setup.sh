mkdir -p tree/sgid/inner tree/sticky tree/suid
ln -s ../nowhere tree/dangling
ln -s /abs/nowhere tree/sgid/abs-dangling
ln -s inner tree/sgid/dirlink
echo x > tree/sgid/inner/f
chmod 2775 tree/sgid; chmod 1777 tree/sticky; chmod 4755 tree/suid; chmod 6711 tree/sgid/inner/f
touch 'tree/sticky/space name' 'tree/sticky/$dollar' 'tree/sticky/uni-ü'
