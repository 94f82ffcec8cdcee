FROM debian:12.5 AS first
CMD ["first"]
CMD ["second"]
ENTRYPOINT ["/bin/one"]
ENTRYPOINT ["/bin/two"]

FROM debian:12.5
CMD ["only-one-here"]
ENTRYPOINT ["/bin/only"]
HEALTHCHECK CMD ["/bin/only", "--health"]
USER 1000
