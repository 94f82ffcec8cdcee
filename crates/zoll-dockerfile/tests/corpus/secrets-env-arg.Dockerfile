FROM postgres:16.3
ARG GITHUB_TOKEN=ghp_exampleexampleexampleexample0000
ARG NPM_TOKEN
ENV POSTGRES_PASSWORD=example-not-a-real-password
ENV POSTGRES_PASSWORD_FILE=/run/secrets/db_password
ENV APP_ENV=production API_KEY=example-api-key-0000
ENV TOKENIZERS_PARALLELISM=false
ENV NPM_TOKEN=${NPM_TOKEN}
ENV ClientSecret example-client-secret
USER postgres
