FROM ruby:3.3.4-slim
RUN gem install bundler
RUN gem install bundler:2.5.16 rake:13.2.1
RUN gem install rails -v 7.1.3
RUN gem install --no-document rails puma
RUN gem install --version=1.16.6 nokogiri
WORKDIR /app
COPY Gemfile Gemfile.lock ./
RUN bundle config set --local deployment true && bundle install
USER nobody
