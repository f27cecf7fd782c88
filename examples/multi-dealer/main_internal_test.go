package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	got := out.String()
	assert.Contains(t, got, "lakeside   created session")
	assert.Contains(t, got, "northshore created session")
	assert.Contains(t, got, "not found", "one dealer cannot read another's session")
}
