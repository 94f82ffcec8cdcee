# Static site: build with node, serve with nginx.
FROM node:20.15.1-alpine AS build
WORKDIR /site
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM nginx:1.27.0-alpine
COPY nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /site/dist /usr/share/nginx/html
RUN chown -R nginx:nginx /var/cache/nginx /usr/share/nginx/html
USER nginx
EXPOSE 8080
HEALTHCHECK CMD ["wget", "-q", "--spider", "http://localhost:8080/"]
CMD ["nginx", "-g", "daemon off;"]
