cat > ../outside.Dockerfile <<'DF'
FROM busybox
COPY . /ctx/
RUN ls -A /ctx | sort > /listing
DF
