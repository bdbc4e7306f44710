module github.com/canary-flags/canary-flags/sdk/go/openfeature

go 1.26.0

require github.com/canary-flags/canary-flags/sdk/go v0.0.0

require (
	github.com/coder/websocket v1.8.14 // indirect
	github.com/open-feature/go-sdk v1.20.0
	go.uber.org/mock v0.6.0 // indirect
)

replace github.com/canary-flags/canary-flags/sdk/go => ../
