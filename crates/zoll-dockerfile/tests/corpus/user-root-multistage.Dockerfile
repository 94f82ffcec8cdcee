# The builder stage ends as root too: hadolint flags every stage whose last USER is root.
FROM golang:1.22.5-bookworm AS build
USER nobody
RUN go version
USER 0:0
RUN go build -o /out/app ./...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
USER root
USER nonroot:nonroot
ENTRYPOINT ["/app"]
