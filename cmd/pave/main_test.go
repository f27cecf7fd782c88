package main

// Most tests run the command in this process, through runContext, as a
// user would run it: its arguments, streams and environment, against a
// fake PAVE. A few run the built binary: on a terminal (script(1)), with
// real signals, exactly as the Docker image runs it, and timed from exec.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave/cmd/pave/internal/cmd/doctor"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/fake"
	"github.com/pave-go/pave/cmd/pave/internal/cmd/listen"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/pavetest"
)

// The exit statuses and names the tests check.
const (
	exitOK              = cmdutil.ExitOK
	exitError           = cmdutil.ExitError
	exitUsage           = cmdutil.ExitUsage
	exitValidation      = cmdutil.ExitValidation
	exitNotFound        = cmdutil.ExitNotFound
	exitUnauthorized    = cmdutil.ExitUnauthorized
	exitNotReady        = cmdutil.ExitNotReady
	envFakeControlToken = cmdutil.EnvControlToken
	checkOK, checkFail  = doctor.OK, doctor.Fail
	checkWarn           = doctor.Warn
	checkSkip           = doctor.Skip
)

type (
	fakeAccountJSON    = fake.Account
	listenRegistration = listen.Registration
	doctorCheck        = doctor.Check
)

// binPath is the built command, for the tests that exec it.
var binPath string

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
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the command:", err)
		return 1
	}
	return m.Run()
}

// result is one run of the command.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the command with args and env (added to a minimal environment:
// no PAVE_* from the machine, a private HOME).
func cli(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return cliIn(t, nil, env, args...)
}

// cliIn is cli with stdin (nil: none).
func cliIn(t *testing.T, stdin []byte, env []string, args ...string) result {
	t.Helper()
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	code := runContext(t.Context(), args, in, &stdout, &stderr, getenv(append(baseEnv(t), env...)))
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// getenv looks env up as the process environment would, the last value
// of a name winning.
func getenv(env []string) func(string) string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// baseEnv is the environment every run starts from.
func baseEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
}

// fakeEnv points the command at srv with its default account.
func fakeEnv(srv *pavetest.Server) []string {
	c := srv.Credentials()
	return []string{"PAVE_BASE_URL=" + srv.URL, "PAVE_USERNAME=" + c.Username, "PAVE_API_KEY=" + c.APIKey,
		"PAVE_API_SECRET=" + c.APISecret}
}

// mustOK fails the test unless r succeeded.
func mustOK(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// longProc is a long-running run of the command (pave fake serve, pave
// listen, pave sessions wait) in the background, in this process or as a
// process: its stdout is read line by line as it comes, its stderr kept.
type longProc struct {
	name   string
	cmd    *exec.Cmd               // as a process
	cancel context.CancelCauseFunc // in this process
	stderr syncBuffer

	mu   sync.Mutex
	out  []string      // stdout lines so far
	part []byte        // a line not ended yet
	eof  bool          // stdout closed
	more chan struct{} // signalled on each line and at EOF
	next int           // waitLine's cursor (the test goroutine's)

	done chan struct{} // closed when the run has ended
	code int           // its exit status, once done
}

// syncBuffer is a bytes.Buffer safe for a writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Write collects stdout into lines.
func (p *longProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			break
		}
		p.out = append(p.out, string(p.part[:i]))
		p.part = p.part[i+1:]
	}
	p.mu.Unlock()
	p.signal()
	return len(b), nil
}

func newLongProc(t *testing.T, args []string) *longProc {
	p := &longProc{name: strings.Join(args, " "), more: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			if p.cmd != nil {
				_ = p.cmd.Process.Kill()
			} else {
				p.cancel(cmdutil.Signal{Signal: syscall.SIGKILL})
			}
			<-p.done
		}
	})
	return p
}

// finish records the end of the run.
func (p *longProc) finish(code int) {
	p.mu.Lock()
	p.eof, p.code = true, code
	p.mu.Unlock()
	p.signal()
	close(p.done)
}

// startLong runs the command with args and env (added to baseEnv) in this
// process, in the background; it is stopped at the end of the test.
func startLong(t *testing.T, env []string, args ...string) *longProc {
	t.Helper()
	p := newLongProc(t, args)
	ctx, cancel := context.WithCancelCause(context.Background())
	p.cancel = cancel
	getenv := getenv(append(baseEnv(t), env...))
	go func() { p.finish(runContext(ctx, args, nil, p, &p.stderr, getenv)) }()
	return p
}

// startProcess is startLong running the built binary as a process.
func startProcess(t *testing.T, env []string, args ...string) *longProc {
	t.Helper()
	p := newLongProc(t, args)
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Env = append(baseEnv(t), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, &p.stderr
	require.NoError(t, p.cmd.Start(), "starting pave %s", p.name)
	go func() {
		err := p.cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		p.finish(code)
	}()
	return p
}

func (p *longProc) signal() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// waitStartOrSkipIfBusy waits for fake serve's start line; when another
// process took the image's fixed port between the check and the start (a
// parallel run of these tests, say), the test is skipped, not failed.
func (p *longProc) waitStartOrSkipIfBusy(t *testing.T, addr string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for _, l := range p.out {
			if strings.Contains(l, "listening on http://") {
				p.mu.Unlock()
				return l
			}
		}
		eof := p.eof
		p.mu.Unlock()
		if eof {
			<-p.done
			if strings.Contains(p.stderr.String(), "address already in use") {
				t.Skipf("%s was taken by another process as the test started it", addr)
			}
			t.Fatalf("pave %s exited (status %d) before its start line\nstderr:\n%s", p.name, p.code, p.stderr.String())
		}
		select {
		case <-p.more:
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("pave %s printed no start line within 30s", p.name)
	return ""
}

// waitLine returns the next stdout line (after those already returned)
// that match accepts, failing the test when the run ends first or none
// arrives within timeout.
func (p *longProc) waitLine(t *testing.T, timeout time.Duration, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for p.next < len(p.out) {
			l := p.out[p.next]
			p.next++
			if match(l) {
				p.mu.Unlock()
				return l
			}
		}
		eof := p.eof
		p.mu.Unlock()
		if eof {
			<-p.done
			t.Fatalf("pave %s exited (status %d) before printing %s\nstdout:\n%s\nstderr:\n%s",
				p.name, p.code, what, p.stdout(), p.stderr.String())
		}
		select {
		case <-p.more:
		case <-deadline.C:
			t.Fatalf("pave %s printed no %s within %s\nstdout:\n%s\nstderr:\n%s", p.name, what, timeout, p.stdout(),
				p.stderr.String())
		}
	}
}

// waitJSON is waitLine for a JSON line that match accepts.
func (p *longProc) waitJSON(t *testing.T, timeout time.Duration, what string,
	match func(map[string]any) bool) map[string]any {
	t.Helper()
	var got map[string]any
	p.waitLine(t, timeout, what, func(l string) bool {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil || !match(m) {
			return false
		}
		got = m
		return true
	})
	return got
}

// stdout returns everything printed on stdout so far.
func (p *longProc) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.out, "\n")
}

// stop interrupts the run (SIGINT, as Ctrl-C does) and checks that it
// exits with status 0.
func (p *longProc) stop(t *testing.T) {
	t.Helper()
	p.stopWith(t, os.Interrupt)
}

// stopWith is stop with another signal (SIGTERM, as docker stop sends).
func (p *longProc) stopWith(t *testing.T, sig os.Signal) {
	t.Helper()
	p.interrupt(t, sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("pave %s did not stop after %s\nstderr:\n%s", p.name, sig, p.stderr.String())
	}
	require.Equal(t, 0, p.code, "exit status after %s\nstderr:\n%s", sig, p.stderr.String())
}

// interrupt sends sig to the run.
func (p *longProc) interrupt(t *testing.T, sig os.Signal) {
	t.Helper()
	if p.cmd != nil {
		require.NoError(t, p.cmd.Process.Signal(sig))
		return
	}
	p.cancel(cmdutil.Signal{Signal: sig})
}
