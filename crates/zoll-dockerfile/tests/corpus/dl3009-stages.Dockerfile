# apt lists left in a stage only matter when that stage ends up in an image.
FROM debian:12.5 AS fetch
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5
RUN curl -fsSLo /tmp/tool https://example.com/tool

FROM debian:12.5 AS base
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311

FROM base
COPY --from=fetch /tmp/tool /usr/local/bin/tool
USER 1000
