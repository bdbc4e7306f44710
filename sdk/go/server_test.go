package canary

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// A real `canary serve` (node bin/canary.js) as a child process on loopback, for the end-to-end
// tests. It needs the built release (dist/, `npm run build`); without it the tests skip, unless
// CANARY_E2E=required (set by `npm run test:go`), where a missing build fails them.

type serverProc struct {
	cmd      *exec.Cmd
	url      string
	port     string
	adminKey string
	exited   chan struct{}
	mu       sync.Mutex
	output   bytes.Buffer
}

var repoRoot = filepath.Join("..", "..")

func requireBuild(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "dist", "server", "cli", "main.js")); err != nil {
		if os.Getenv("CANARY_E2E") == "required" {
			t.Fatalf("the server is not built (dist/ missing): run npm run build")
		}
		t.Skip("end-to-end: the server is not built (run npm run build)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH: %v", err)
	}
}

// cleanEnv drops everything that would configure the server unseen.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "CANARY_"), name == "PORT", name == "HOST", name == "DATABASE_PATH", name == "PUBLIC_URL":
			continue
		}
		env = append(env, kv)
	}
	return env
}

var (
	listening = regexp.MustCompile(`listening on http://127\.0\.0\.1:(\d+)`)
	adminLine = regexp.MustCompile(`(?m)^admin key: (\S+)$`)
)

// startServer starts `canary serve` on port ("0": any) with the database file db, and waits
// until it listens (and, for a new database, printed its admin key).
func startServer(t testing.TB, db, port string, newDatabase bool) *serverProc {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(repoRoot, "bin", "canary.js"), "serve", "--port", port, "--host", "127.0.0.1", "--db", db)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serverProc{cmd: cmd, exited: make(chan struct{})}
	lines := make(chan struct{}, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			s.mu.Lock()
			s.output.WriteString(scanner.Text() + "\n")
			s.mu.Unlock()
			select {
			case lines <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.kill)
	deadline := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		out := s.output.String()
		s.mu.Unlock()
		if m := listening.FindStringSubmatch(out); m != nil && (!newDatabase || adminLine.MatchString(out)) {
			s.port = m[1]
			s.url = "http://127.0.0.1:" + m[1]
			if a := adminLine.FindStringSubmatch(out); a != nil {
				s.adminKey = a[1]
			}
			return s
		}
		select {
		case <-lines:
		case <-s.exited:
			t.Fatalf("the server exited before listening:\n%s", out)
		case <-deadline:
			t.Fatalf("the server did not start:\n%s", out)
		}
	}
}

// kill stops the server at once (SIGKILL: no graceful close, no 1012).
func (s *serverProc) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.exited
}

type apiAnswer struct {
	status int
	body   map[string]any
}

// api calls the admin API.
func api(t testing.TB, base, key, method, path string, body any) apiAnswer {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := apiAnswer{status: resp.StatusCode}
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out.body)
	return out
}

func mustAPI(t testing.TB, base, key, method, path string, body any, want int) map[string]any {
	t.Helper()
	a := api(t, base, key, method, path, body)
	if a.status != want {
		t.Fatalf("%s %s: HTTP %d, want %d: %v", method, path, a.status, want, a.body)
	}
	return a.body
}

// waitFor polls until ok holds, failing after the deadline: tests wait for what they expect,
// never a fixed time.
func waitFor(t testing.TB, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fixture is a running server with a server key for production.
type fixture struct {
	server *serverProc
	admin  string
	key    string
	keyID  string
	db     string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	requireBuild(t)
	db := filepath.Join(t.TempDir(), "canary.db")
	s := startServer(t, db, "0", true)
	created := mustAPI(t, s.url, s.adminKey, "POST", "/api/v1/keys", map[string]any{"name": "go-svc", "kind": "server", "environment": "production"}, 201)
	return &fixture{server: s, admin: s.adminKey, key: created["secret"].(string), keyID: created["id"].(string), db: db}
}

func (f *fixture) setFlag(t testing.TB, key string, state map[string]any) {
	t.Helper()
	if api(t, f.server.url, f.admin, "GET", "/api/v1/flags/"+key, nil).status == 404 {
		mustAPI(t, f.server.url, f.admin, "POST", "/api/v1/flags", map[string]any{"key": key}, 201)
	}
	mustAPI(t, f.server.url, f.admin, "PATCH", "/api/v1/environments/production/flags/"+key, state, 200)
}

func (f *fixture) envVersion(t testing.TB) int64 {
	t.Helper()
	snap := mustAPI(t, f.server.url, f.admin, "GET", "/api/v1/environments/production/snapshot", nil, 200)
	return int64(snap["version"].(float64))
}

func quietConfig(url, key string) Config {
	return Config{URL: url, ServerKey: key, Logger: discardLogger(), FlushInterval: 200 * time.Millisecond, CloseTimeout: 2 * time.Second}
}

func describe(v any) string { return fmt.Sprintf("%v", v) }
