package main

// The tests build the command once, with coverage instrumentation, and run
// it as a user would: as a process, against a fake PAVE (in this process,
// or `pave fake serve` in another). Coverage of the runs is collected in
// a directory and reported at the end; PAVE_CLI_COVER_MIN (a percentage)
// makes a lower figure fail the run, as CI does.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pave-go/pave/pavetest"
)

var (
	binPath  string // the built command
	coverDir string // GOCOVERDIR of every run
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pave-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "pave")
	coverDir = filepath.Join(dir, "cover")
	if err := os.Mkdir(coverDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	build := exec.Command("go", "build", "-cover", "-covermode=atomic", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the command:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		code = reportCoverage()
	}
	return code
}

// reportCoverage prints the statement coverage of the command's runs and
// enforces PAVE_CLI_COVER_MIN.
func reportCoverage() int {
	out, err := exec.Command("go", "tool", "covdata", "percent", "-i", coverDir, "-pkg", "github.com/pave-go/pave/cmd/pave").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "covdata: %v\n%s", err, out)
		return 0 // -run of a subset may have run nothing
	}
	fmt.Print(string(out))
	m := regexp.MustCompile(`coverage: ([0-9.]+)%`).FindSubmatch(out)
	min := os.Getenv("PAVE_CLI_COVER_MIN")
	if m == nil || min == "" {
		return 0
	}
	got, _ := strconv.ParseFloat(string(m[1]), 64)
	want, _ := strconv.ParseFloat(min, 64)
	if got < want {
		fmt.Fprintf(os.Stderr, "cmd/pave coverage %.1f%% is below %.1f%%\n", got, want)
		return 1
	}
	return 0
}

// result is one run of the command.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the command with args and env (added to a minimal
// environment: no PAVE_* from the machine, a private HOME).
func cli(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return cliIn(t, nil, env, args...)
}

// cliIn is cli with stdin.
func cliIn(t *testing.T, stdin []byte, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(baseEnv(t), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running pave %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// baseEnv is the environment every run starts from.
func baseEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"GOCOVERDIR=" + coverDir,
	}
}

// fakeEnv points the command at srv with its default account.
func fakeEnv(srv *pavetest.Server) []string {
	c := srv.Credentials()
	return []string{
		"PAVE_BASE_URL=" + srv.URL,
		"PAVE_USERNAME=" + c.Username,
		"PAVE_API_KEY=" + c.APIKey,
		"PAVE_API_SECRET=" + c.APISecret,
	}
}

// mustOK fails the test unless r succeeded.
func mustOK(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}
