FROM debian:12.5
RUN --mount=type=cache,target=/var/lib/apt/lists \
    apt-get update && apt-get install -y --no-install-recommends make=4.3-4.1
RUN --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install -y --no-install-recommends gcc=4:12.2.0-3
RUN apt update && apt install -y make
USER 1000
