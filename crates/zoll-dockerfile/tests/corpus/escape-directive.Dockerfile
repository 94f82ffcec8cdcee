# escape=`
FROM debian:12.5
RUN apt-get update `
    # a comment inside the continuation is skipped
    && apt-get install -y --no-install-recommends curl `

    && cd /tmp
COPY app C:\app\
USER 1000
