FROM debian:12.5
RUN useradd --system app
USER app
RUN id
USER root
CMD ["id"]
