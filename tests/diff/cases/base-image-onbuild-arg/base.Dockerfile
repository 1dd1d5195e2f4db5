FROM busybox
ONBUILD ARG FLAVOR=plain
ONBUILD COPY f.txt /app/
ONBUILD RUN echo "$FLAVOR" > /app/flavor
ONBUILD WORKDIR /app
