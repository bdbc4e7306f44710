// Package gatefixture is a fixture of test/gate/languages.test.ts: never part of the SDK.
package gatefixture

// Double is what the fixture tests check.
func Double(n int) int { return 2 * n }
