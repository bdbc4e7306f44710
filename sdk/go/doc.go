// Package canary is the Go server SDK of canary-flags, a self-hosted feature-flag service whose
// guard turns a bad canary off.
//
// A Client holds the environment's rules, streamed over a WebSocket and evaluated in memory:
// IsEnabled never touches the network, never panics and allocates nothing on a compiled flag.
// It counts exposures, errors and durations per flag and guard arm and sends them in batches
// that are resent until the server acknowledges them, so the guard sees this service's errors.
//
//	flags, err := canary.New(ctx, canary.Config{URL: "https://flags.example.com", ServerKey: key})
//	if err != nil { … }
//	defer flags.Close()
//	if flags.IsEnabled("checkout-v2", canary.NewUser(userID).With("region", "eu")) { … }
//
// The protocol and the evaluation semantics are specified in sdk/SPEC.md of the repository;
// the shared fixtures in sdk/fixtures pin them.
package canary
