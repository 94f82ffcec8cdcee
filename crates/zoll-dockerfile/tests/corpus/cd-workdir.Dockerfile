FROM debian:12.5
RUN cd /tmp && echo hi > x
RUN (cd /opt && ls)
RUN make -C /src && echo "cd is only a word" > /tmp/cd.txt
RUN if [ -d /srv ]; then cd /srv; fi
WORKDIR /srv
USER 1000
