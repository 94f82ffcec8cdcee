# A clean multi-stage file: every base pinned by digest, pinned packages, pipefail, a
# health check, an unprivileged user and exec-form commands.
ARG DEBIAN_DIGEST=sha256:d02c76d82364cedca16ba3ed6f9102406fa9fa8833076a609cabf14270f43dfc
FROM golang:1.22.5-bookworm@sha256:af9b40f2b1851be993763b85288f8434af87b0c5b5ea4b6c9bd18bd3c6ff8a5d AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

FROM debian:12.5-slim@${DEBIAN_DIGEST}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 \
    && curl -fsSL https://example.com/ca.pem | tee /usr/local/share/ca-certificates/example.crt \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/app /usr/local/bin/app
USER 10001:10001
HEALTHCHECK --interval=30s CMD ["/usr/local/bin/app", "health"]
ENTRYPOINT ["/usr/local/bin/app"]
CMD ["serve"]
