# syntax=docker/dockerfile:1
#
# CyberCampus image: one static binary that runs every role
# (serve | api | worker | scheduler | migrate up | seed | ...).
#
#   docker build -t cybercampus .
#   docker run --rm cybercampus help
#
# The runtime image holds only what the binary needs at run time:
#   /cybercampus                          the static binary (CGO_ENABLED=0)
#   /etc/ssl/certs/ca-certificates.crt    CA certificates for TLS to PostgreSQL,
#                                         Redis and SMTP
#   /etc/passwd, /etc/group               the unprivileged user 10001
#   /bin/wget                             busybox wget, and nothing else of busybox,
#                                         so that container health checks can call
#                                         /healthz and /readyz (there is no shell)
# The certificate PDF font is inside the binary: the certification package
# embeds its fonts with go:embed, so no font files are copied. The migrations,
# the OpenAPI document and the starter curriculum are embedded the same way.
# Time zone data is compiled in (-tags timetzdata).

ARG GO_VERSION=1.26
ARG BUSYBOX_VERSION=1.36

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -tags timetzdata -ldflags="-s -w" \
        -o /out/cybercampus ./cmd/cybercampus
# The runtime user, with a numeric id so that Kubernetes' runAsNonRoot can verify it.
RUN echo 'cybercampus:x:10001:10001:CyberCampus:/nonexistent:/sbin/nologin' > /out/passwd \
 && echo 'cybercampus:x:10001:' > /out/group

# busybox's musl build is statically linked; invoked as "wget" it acts as wget.
FROM busybox:${BUSYBOX_VERSION}-musl AS busybox

FROM scratch AS runtime
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=busybox /bin/busybox /bin/wget
COPY --from=build /out/cybercampus /cybercampus
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK here: the same image runs the worker and the scheduler, which
# serve no HTTP. compose.yaml sets a check on the API only; Kubernetes probes
# the API over HTTP from the kubelet.
ENTRYPOINT ["/cybercampus"]
CMD ["serve"]
