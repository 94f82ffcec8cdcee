FROM ubuntu:22.04
RUN apt-get update && apt-get install curl ca-certificates
RUN apt-get install -y --no-install-recommends git
RUN apt-get -y install -t jammy-backports wget=1.21.2-2ubuntu1 \
    && apt-get clean
USER nobody
