package canary

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A Go program outside the repository uses the SDK the way the README says (a module path and a
// `replace` to this checkout), connects to a running server and evaluates a flag.
func TestE2EOutsideModuleFollowsTheREADME(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "checkout-v2", everyone)
	checkout, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	main := `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	canary "github.com/canary-flags/canary-flags/sdk/go"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	flags, err := canary.New(ctx, canary.Config{URL: os.Args[1], ServerKey: os.Getenv("CANARY_SERVER_KEY")})
	if err != nil {
		panic(err)
	}
	defer flags.Close()
	if err := flags.WaitForReady(ctx); err != nil {
		panic(err)
	}
	user := canary.NewUser("u-1").With("region", "eu-west")
	fmt.Println(flags.IsEnabled("checkout-v2", user), flags.Evaluate("checkout-v2", user).Reason)
}
`
	if err := os.WriteFile(filepath.Join(app, "main.go"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	// Offline: everything comes from the module cache `go mod download` filled.
	env := append(os.Environ(), "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod", "CANARY_SERVER_KEY="+f.key)
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir, cmd.Env = app, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("go", "mod", "init", "example.com/app")
	run("go", "mod", "edit", "-require=github.com/canary-flags/canary-flags/sdk/go@v0.0.0",
		"-replace=github.com/canary-flags/canary-flags/sdk/go="+checkout)
	run("go", "mod", "tidy")
	if out := run("go", "run", ".", f.server.url); strings.TrimSpace(out) != "true cohort:everyone" {
		t.Fatalf("the program printed %q", out)
	}
}
