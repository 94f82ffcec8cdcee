# A clean file: tagged, pinned by digest, unprivileged, with a health check.
FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
COPY --chown=65534:65534 app.sh /usr/local/bin/app.sh
USER 65534:65534
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/app.sh", "--check"]
ENTRYPOINT ["/usr/local/bin/app.sh"]
