FROM debian:12.5
RUN useradd -m builder
USER builder
RUN sudo mkdir -p /opt/app
RUN echo "sudo is only a word here" > /tmp/note
RUN make -C /src && sudo make -C /src install
