FROM debian:12.5-slim@sha256:d02c76d82364cedca16ba3ed6f9102406fa9fa8833076a609cabf14270f43dfc
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates=20230311 \
        curl=7.88.1-10+deb12u5 \
    && rm -rf /var/lib/apt/lists/*
RUN apt-get install -o APT::Install-Recommends=false -qq ./vendor/tool_1.0_amd64.deb
USER 10001
HEALTHCHECK CMD ["curl", "-fsS", "http://localhost:8080/healthz"]
CMD ["sleep", "infinity"]
