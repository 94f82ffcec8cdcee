FROM docker.io/library/alpine:latest
RUN echo hello > /hello.txt
USER 65534
HEALTHCHECK CMD ["true"]
ENTRYPOINT ["cat", "/hello.txt"]
