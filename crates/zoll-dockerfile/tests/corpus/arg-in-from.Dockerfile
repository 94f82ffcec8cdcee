# ARGs before FROM: resolvable defaults are expanded, build-time-only values are not judged.
ARG GO_VERSION=1.22.5
ARG RUNTIME_IMAGE
ARG REGISTRY=docker.io
FROM golang:${GO_VERSION}-alpine AS build
RUN go version

FROM ${RUNTIME_IMAGE}
COPY --from=build /usr/local/go/bin/go /go
USER 1000

FROM ${REGISTRY}/library/alpine:${ALPINE_VERSION:-3.20}
USER 1000
HEALTHCHECK CMD ["true"]
