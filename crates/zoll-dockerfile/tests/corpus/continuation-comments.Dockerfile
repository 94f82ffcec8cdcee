FROM debian:12.5-slim
RUN set -eux; \
    # comments inside a continuation are not part of the command
    apt-get update; \

    apt-get install -y --no-install-recommends \
        # the package list
        ca-certificates=20230311 \
        git \
    ; \
    rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8 \
    # still the same ENV
    TZ=UTC
USER 1000
