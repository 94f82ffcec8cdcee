FROM python:3.12.4-slim
ONBUILD RUN apt-get update && apt-get install curl
ONBUILD RUN pip install flask && cd /app && sudo true
ONBUILD USER root
ONBUILD CMD run-app
ONBUILD ADD app.py /app/
USER 1000
