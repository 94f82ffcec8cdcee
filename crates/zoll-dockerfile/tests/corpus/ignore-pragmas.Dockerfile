# hadolint global ignore=DL3003
FROM ubuntu:22.04
# hadolint ignore=DL3008,DL3015
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
# zoll ignore=DL3008
RUN apt-get install -y --no-install-recommends wget
# hadolint ignore=DL3014

RUN apt-get install --no-install-recommends git
RUN cd /tmp && ls
#hadolint ignore=DL3004
RUN sudo ls
USER 1000
