FROM debian:12.5
ADD config.yaml /etc/app/config.yaml
ADD rootfs.tar.gz /
ADD ["vendor.tar.xz", "notes.txt", "/opt/"]
ADD "bundle.tgz" /opt/bundle/
COPY app /usr/local/bin/app
USER 1000
