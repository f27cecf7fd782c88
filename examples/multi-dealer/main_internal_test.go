package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	got := out.String()
	assert.Contains(t, got, "callbacks ensured for 3 dealers, twice: 3 writes to PAVE", "the second start-up writes nothing")
	for _, id := range []string{"lakeside  ", "northshore", "valley    "} {
		assert.Contains(t, got, id+" created session")
		assert.Contains(t, got, "stored "+id, "each dealer's COMPLETE reached the one endpoint under its own name")
	}
	assert.Equal(t, 3, strings.Count(got, "stored "), "one stored outcome per session: no duplicate")
	assert.Contains(t, got, "not found, as PAVE answers", "one dealer cannot read another's session")
}
