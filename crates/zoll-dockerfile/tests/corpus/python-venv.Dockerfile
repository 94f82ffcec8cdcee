# Python with a virtual environment built in one stage and copied into a slim runtime.
FROM python:3.12.4-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir gunicorn

FROM python:3.12.4-slim-bookworm
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY . .
RUN useradd --system --uid 10001 app
USER app
HEALTHCHECK CMD ["python", "-c", "import socket; socket.create_connection(('localhost', 8000))"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
