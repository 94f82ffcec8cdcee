FROM debian:12.5
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg
RUN echo "a | b is quoted" && true || false
RUN ["/bin/sh", "-c", "ls /etc | sort"]
USER 1000
