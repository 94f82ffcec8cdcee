FROM python:3.12-slim
RUN pip install flask
RUN pip install --no-cache-dir --upgrade pip
RUN python3 -m pip install requests gunicorn==22.0.0
RUN pip3 install --index-url https://pypi.example.org/simple "django>=5.0" celery
RUN pip install git+https://github.com/example/lib.git
USER nobody
