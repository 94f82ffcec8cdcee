FROM ubuntu:22.04
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://get.example.com/install.sh | sh
RUN wget -qO- https://example.com/setup | sudo -E bash -
RUN sh -c "$(curl -fsSL https://raw.example.com/install.sh)"
RUN curl -fsSLo /tmp/tool.tar.gz https://example.com/tool.tar.gz \
    && echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  /tmp/tool.tar.gz" | sha256sum -c - \
    && tar -xzf /tmp/tool.tar.gz -C /usr/local/bin
USER nobody
