# Cognate in a container: a static binary on a distroless base, run as a
# non-root user, its data on a volume.
#
#   docker build -t cognate .
#   docker run --rm -p 9229:9229 -v cognate-data:/data cognate
#
# The image's command, health check and user are exercised without a
# container daemon by e2e/container_test.go: it builds the binary as below
# and runs it with exactly these arguments.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cognate ./cmd/cognate && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cognate /cognate
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 9229
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/cognate", "health", "--url", "http://127.0.0.1:9229/ready"]
ENTRYPOINT ["/cognate"]
CMD ["serve", "--addr", "0.0.0.0:9229", "--data-dir", "/data", "--public-url", "http://localhost:9229"]
