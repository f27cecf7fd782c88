package endpoint

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenAPIIsTheDocumentAndACopy(t *testing.T) {
	t.Parallel()
	file, err := os.ReadFile("openapi.json")
	require.NoError(t, err)
	doc := OpenAPI()
	assert.Equal(t, file, doc)
	var v struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(doc, &v))
	assert.Equal(t, "3.1.0", v.OpenAPI)
	for _, e := range All() {
		assert.Contains(t, v.Paths, e.Pattern, e.Op)
	}
	doc[0] = 'X'
	assert.Equal(t, file, OpenAPI(), "the caller's slice is its own")
}
