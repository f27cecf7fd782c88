package sign

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignShellQuote(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                          "''",
		"https://x.example/v1/a":    "https://x.example/v1/a",
		"API-Key: k":                "'API-Key: k'",
		"it's":                      `'it'\''s'`,
		`{"a":"$HOME"}`:             `'{"a":"$HOME"}'`,
		"a&b":                       "'a&b'",
		"http://h/v1/x?a=1&b=2":     "'http://h/v1/x?a=1&b=2'",
		"line\nbreak":               "'line\nbreak'",
		"2024-03-15T09:30:00+00:00": "2024-03-15T09:30:00+00:00",
	}
	for in, want := range tests {
		assert.Equal(t, want, ShellQuote(in), "%q", in)
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(in)).Output()
		require.NoError(t, err)
		assert.Equal(t, in, string(out), "%q through sh", in)
	}
}
