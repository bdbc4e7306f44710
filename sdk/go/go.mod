module github.com/canary-flags/canary-flags/sdk/go

go 1.24

require github.com/coder/websocket v1.8.14
