FROM python:3.12.4-slim-bookworm
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt
RUN pip install --no-cache-dir --requirement requirements.txt
RUN pip install --no-cache-dir -c constraints.txt flask
RUN pip install --no-cache-dir "flask==3.0.3" 'uvicorn[standard]~=0.30'
RUN pip install --no-cache-dir git+https://github.com/example/lib.git@v1.2.0 ./wheels/app-1.0-py3-none-any.whl
COPY . .
RUN pip install --no-cache-dir .
USER 1000
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/')"]
CMD ["python", "-m", "app"]
