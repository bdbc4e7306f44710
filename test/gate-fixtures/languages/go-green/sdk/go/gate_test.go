package gatefixture

import "testing"

func TestGatePasses(t *testing.T) {
	if Double(2) != 4 {
		t.Fatal("Double(2) != 4")
	}
}

// The fuzz targets scripts/test-go.sh runs by name.
func FuzzCondition(f *testing.F) {
	f.Add(1)
	f.Fuzz(func(t *testing.T, n int) {
		if Double(n) != n+n {
			t.Fatal("Double")
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	f.Add(1)
	f.Fuzz(func(t *testing.T, n int) {
		if Double(n)-n != n {
			t.Fatal("Double")
		}
	})
}
