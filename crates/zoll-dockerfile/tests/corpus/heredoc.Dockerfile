# syntax=docker/dockerfile:1
FROM ubuntu:22.04
RUN <<EOF
apt-get update
apt-get install -y curl
cd /opt
EOF

RUN <<EOF bash
set -e
sudo true
EOF

RUN python3 <<EOF
import os
print("cd /tmp | sh is just python data here")
EOF

COPY <<EOF /etc/app.conf
# sudo and cd in a config file are data
listen 8080
EOF

USER 1000
HEALTHCHECK CMD ["true"]
CMD ["sleep", "infinity"]
