# syntax=docker/dockerfile:1
#
# The pave command in a minimal image. By default it runs the stateful fake
# PAVE server, for tests written in any language:
#
#   docker build -t pave .
#   docker run --rm -p 8080:8080 -e PAVE_FAKE_CONTROL_TOKEN="$(openssl rand -hex 16)" pave
#
# Inside the container the server listens on 0.0.0.0:8080, which needs a
# control token: docker run must pass -e PAVE_FAKE_CONTROL_TOKEN=... (at
# least 16 characters), or the server refuses to start (exit status 2).
# Every control request (/_fake/...) must then carry
# "Authorization: Bearer <token>"; pave commands on the host send it when
# the same variable is set:
#
#   export PAVE_BASE_URL=http://127.0.0.1:8080 PAVE_FAKE_CONTROL_TOKEN=...
#   pave fake accounts --show-secrets
#   pave fake complete NSA-7K2D5MZ8WP
#
# Other commands run the same way, e.g. docker run --rm pave version.
# (cmd/pave's tests run the binary with this image's ENTRYPOINT and CMD.)

FROM golang:1.26 AS build
WORKDIR /src
# cmd/pave is a module of its own that requires the SDK's module at ../..
# and the track module at ../../track (for pave track).
COPY go.mod go.sum ./
COPY track/go.mod track/go.sum track/
COPY cmd/pave/go.mod cmd/pave/go.sum cmd/pave/
RUN cd cmd/pave && GOWORK=off go mod download
# Only the packages the command is built from.
COPY *.go ./
COPY internal/ internal/
COPY pavetest/ pavetest/
COPY webhook/ webhook/
COPY track/ track/
COPY cmd/ cmd/
RUN CGO_ENABLED=0 GOWORK=off go build -C ./cmd/pave -trimpath -ldflags "-s -w" -o /out/pave .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pave /pave
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/pave"]
CMD ["fake", "serve", "--addr", "0.0.0.0:8080"]
