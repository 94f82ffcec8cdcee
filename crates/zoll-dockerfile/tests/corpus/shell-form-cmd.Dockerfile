FROM debian:12.5
USER 1000
HEALTHCHECK --interval=10s CMD curl -fsS http://localhost:8080/ || exit 1
ENTRYPOINT /usr/local/bin/start.sh
CMD echo "started" && sleep infinity
