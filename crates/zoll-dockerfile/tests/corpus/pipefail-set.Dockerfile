FROM debian:12.5 AS build
SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg

FROM debian:12.5
RUN ls /etc | sort > /tmp/etc.txt
SHELL ["/bin/ash", "-o", "pipefail", "-c"]
RUN ls /usr | sort > /tmp/usr.txt
SHELL ["/bin/sh", "-c"]
RUN ls /var | sort > /tmp/var.txt
USER 1000
