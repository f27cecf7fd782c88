package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))
	text := out.String()
	assert.Equal(t, 3, strings.Count(text, "no request sent"), text)
	for d, n := range map[string]int{"lakeside": 2, "northgate": 2, "harbour": 3} {
		assert.Equal(t, n, strings.Count(text, " "+d+"/"), "%s: each inspection once\n%s", d, text)
	}
	assert.Equal(t, 1, strings.Count(text, "(walk-in)"), text)
	assert.Contains(t, text, "creates sent 6 (reused 3)")
	assert.Contains(t, text, "OnComplete ran 7 times")
}
