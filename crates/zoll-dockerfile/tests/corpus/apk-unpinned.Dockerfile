FROM alpine:3.20
RUN apk add --no-cache curl
RUN apk --no-cache add bash=5.2.26-r0 jq
RUN apk add --no-cache --virtual .build-deps gcc=13.2.1_git20240309-r0 musl-dev~1.2
RUN apk add --no-cache ./local/pkg-1.0-r0.apk
USER nobody
