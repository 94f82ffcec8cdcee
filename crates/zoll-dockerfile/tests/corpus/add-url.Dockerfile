FROM debian:12.5
ADD https://example.com/releases/tool-1.2.3.tar.gz /tmp/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/releases/other-2.0.tar.gz /tmp/
ADD http://example.com/config.json /etc/app/config.json
USER 1000
