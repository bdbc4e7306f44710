package canary

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The shared fixtures every SDK passes (SPEC.md §11), read from sdk/fixtures.
func readFixture(t testing.TB, name string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatal(err)
	}
}

// userFrom turns a fixture user (a JSON object) into a User, userId as the key when a string.
func userFrom(attributes map[string]any) User {
	id, _ := attributes["userId"].(string)
	return UserFromMap(id, attributes)
}

func TestEvaluationCases(t *testing.T) {
	var cases []struct {
		Name     string            `json:"name"`
		Flag     json.RawMessage   `json:"flag"`
		Segments []json.RawMessage `json:"segments"`
		User     map[string]any    `json:"user"`
		Expected struct {
			Enabled bool   `json:"enabled"`
			Reason  string `json:"reason"`
		} `json:"expected"`
	}
	readFixture(t, "evaluation-cases.json", &cases)
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	fast := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got := EvaluateState(c.Flag, c.Segments, userFrom(c.User))
			if got.Enabled != c.Expected.Enabled || got.Reason != c.Expected.Reason {
				t.Fatalf("got %+v, want %+v", got, c.Expected)
			}
			// A flag on the fast path answers the same through the general one.
			if flag, user := compileFlag(c.Flag, compileSegments(c.Segments)), userFrom(c.User); flag.mode == modeFast {
				fast++
				if general := flag.evaluateGeneral(&user).result; general != got {
					t.Fatalf("the general path answered %+v, the fast one %+v", general, got)
				}
			}
		})
	}
	if fast < 10 {
		t.Fatalf("only %d cases on the fast path", fast)
	}
}

func TestBucketingVectors(t *testing.T) {
	var fixture struct {
		Vectors []struct {
			Salt   string `json:"salt"`
			Value  string `json:"value"`
			Bucket int    `json:"bucket"`
		} `json:"vectors"`
	}
	readFixture(t, "bucketing.json", &fixture)
	if len(fixture.Vectors) < 100 {
		t.Fatalf("only %d vectors", len(fixture.Vectors))
	}
	for _, v := range fixture.Vectors {
		if got := Bucket(v.Salt, v.Value); got != v.Bucket {
			t.Errorf("Bucket(%q, %q) = %d, want %d", v.Salt, v.Value, got, v.Bucket)
		}
	}
}

// TestBenchAnswers: the same answers as the Node SDK for 10,000 users (sdk/fixtures/bench-answers.json).
func TestBenchAnswers(t *testing.T) {
	var fixture struct {
		Flag    json.RawMessage   `json:"flag"`
		Regions []string          `json:"regions"`
		Codes   map[string]string `json:"codes"`
		Answers string            `json:"answers"`
	}
	readFixture(t, "bench-answers.json", &fixture)
	if len(fixture.Answers) != 10_000 {
		t.Fatalf("%d answers", len(fixture.Answers))
	}
	c := newOfflineClient(t, &Snapshot{Version: 1, Flags: []json.RawMessage{fixture.Flag}, Segments: []json.RawMessage{}})
	var key struct {
		Key string `json:"key"`
	}
	_ = json.Unmarshal(fixture.Flag, &key)
	for i := 0; i < len(fixture.Answers); i++ {
		user := NewUser(benchUserID(i)).With("region", fixture.Regions[i%len(fixture.Regions)])
		want := fixture.Codes[fixture.Answers[i:i+1]]
		got := c.Evaluate(key.Key, user)
		if got.Reason != want || got.Enabled != (got.Cohort != "") {
			t.Fatalf("user %d: %+v, want %s", i, got, want)
		}
	}
}
