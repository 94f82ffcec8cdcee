# Alpine runtime with pinned packages and a non-root user.
FROM alpine:3.20.2 AS base
RUN apk add --no-cache \
        ca-certificates=20240705-r0 \
        tini=0.19.0-r3 \
    && addgroup -S app \
    && adduser -S -G app app

FROM base
WORKDIR /app
COPY --chown=app:app bin/server /app/server
USER app
EXPOSE 8080
HEALTHCHECK --interval=15s CMD ["/app/server", "healthcheck"]
ENTRYPOINT ["/sbin/tini", "--", "/app/server"]
