package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	r := mustOK(t, cli(t, nil, "version"))
	assert.Contains(t, r.stdout, "pave 0.1.0-dev")
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(mustOK(t, cli(t, nil, "version", "--json")).stdout), &v))
	assert.NotEmpty(t, v["version"])

	for _, args := range [][]string{{"nonsense"}, {"version", "extra"}, {"version", "--no-such-flag"}} {
		r := cli(t, nil, args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "pave: ")
	}
	r = cli(t, nil, "version", "--no-such-flag")
	assert.Contains(t, r.stderr, "--no-such-flag")
	r = mustOK(t, cli(t, nil, "--help"))
	assert.Contains(t, r.stdout, "Exit status")
}
