# canary-flags server image. Its build is scripts/release.sh, the same script CI and the
# release test run (test/release/), so what this image contains is what the tests installed.
#   docker build -t canary-flags .
#   docker run -p 4242:4242 -v canary-data:/data canary-flags

FROM node:20-slim AS build
# better-sqlite3 compiles from source when its prebuilt binary cannot be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN sh scripts/release.sh /release

FROM node:20-slim
# HOST: the server's own default is loopback; in a container it must listen on every interface
# for `docker run -p` to reach it.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4242 \
    DATABASE_PATH=/data/canary-flags.db \
    LOG_FORMAT=json
# Only the installed release (runtime dependencies, compiled JavaScript): no sources, no tsx.
COPY --from=build /release/app /opt/canary-flags
RUN mkdir -p /data && chown node:node /data && chmod 700 /data \
  && ln -s /opt/canary-flags/node_modules/canary-flags/bin/canary.js /usr/local/bin/canary
USER node
VOLUME /data
EXPOSE 4242
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["canary", "health"]
# The server drains on SIGTERM (SDKs are told to reconnect, guard data is flushed, the database
# closed); give it the time to: docker stop -t 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["canary"]
CMD ["serve"]
