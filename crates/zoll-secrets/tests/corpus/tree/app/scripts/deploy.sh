#!/bin/sh
set -eu
git clone "https://oauth2:glpat-b_oaUtQT6CILxxJ5dKLu@gitlab.zoll.test/platform/app.git" /tmp/app
curl -fsSL -u "deploy:${DEPLOY_PASSWORD}" https://artifacts.zoll.test/app.tar.gz -o /tmp/app.tar.gz
echo "b9b93f85d3944584f1a22f36a99331c16ef8f5d939dd2a266b76abe42bd2b164  /tmp/app.tar.gz" | sha256sum -c -
