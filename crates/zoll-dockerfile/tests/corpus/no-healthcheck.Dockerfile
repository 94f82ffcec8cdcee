FROM nginx:1.27.0-alpine AS base
HEALTHCHECK CMD ["wget", "-q", "--spider", "http://localhost/"]

FROM python:3.12.4-slim
COPY app.py /app/app.py
USER 1000
CMD ["python", "/app/app.py"]
