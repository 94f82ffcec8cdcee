ARG BASE=ubuntu:latest
ARG TOOLS=debian
FROM ${TOOLS} AS tools
RUN echo tools

FROM $BASE
USER 1000
HEALTHCHECK CMD ["true"]
