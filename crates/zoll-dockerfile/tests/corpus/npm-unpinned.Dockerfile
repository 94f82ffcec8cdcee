FROM node:20.15-bookworm-slim
WORKDIR /app
RUN npm install -g typescript
RUN npm install --save-dev @types/node
RUN npm install -g @angular/cli@17.3.8 pnpm@9.4.0
RUN npm install
RUN npm install ./packages/local git+https://github.com/example/pkg.git#v1.0.0 vendor/lib.tgz
RUN npm install git+https://github.com/example/other.git
USER node
