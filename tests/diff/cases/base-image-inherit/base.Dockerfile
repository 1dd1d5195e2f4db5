FROM busybox
ENV BASE_ENV=1 PATH=/opt/base/bin:$PATH
WORKDIR /base/wd
RUN chmod 1777 /base/wd
USER 1:1
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=11s --timeout=3s --retries=4 CMD true
LABEL from.base=yes shared=base
EXPOSE 7777
VOLUME /base-vol
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/echo"]
CMD ["base"]
ONBUILD RUN { id -u; pwd; echo "$BASE_ENV"; } > /tmp/onbuild-seen
ONBUILD LABEL onbuild.fired=yes
ONBUILD COPY f.txt ./
