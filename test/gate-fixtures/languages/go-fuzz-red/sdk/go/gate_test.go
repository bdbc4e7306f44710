package gatefixture

import "testing"

// The seed passes; the fuzzer soon grows an input that fails (any string longer than 3 bytes).
func FuzzCondition(f *testing.F) {
	f.Add("a")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 3 {
			t.Fatal("gate fixture: this Go fuzz target is meant to fail")
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	f.Add("a")
	f.Fuzz(func(t *testing.T, s string) {})
}
