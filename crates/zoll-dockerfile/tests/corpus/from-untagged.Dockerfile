FROM debian
RUN echo "no tag on the base image" > /etc/motd
USER nobody
HEALTHCHECK CMD ["true"]
CMD ["cat", "/etc/motd"]
