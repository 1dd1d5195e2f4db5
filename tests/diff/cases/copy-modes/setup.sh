mkdir -p m/private m/open m/sticky
echo x > m/ro; chmod 0444 m/ro
echo x > m/exec; chmod 0755 m/exec
echo x > m/secret; chmod 0600 m/secret
echo x > m/setuid; chmod 4755 m/setuid
echo x > m/setgid; chmod 2755 m/setgid
echo x > m/odd; chmod 0571 m/odd
chmod 0700 m/private; chmod 0777 m/open; chmod 1777 m/sticky
echo x > m/private/in
chown 1234:5678 m/exec 2>/dev/null || true
