package gatefixture

import "testing"

func TestGateFails(t *testing.T) {
	if Double(2) != 5 {
		t.Fatal("gate fixture: this Go assertion is meant to fail")
	}
}
