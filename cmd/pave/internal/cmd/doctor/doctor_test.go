package doctor

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDoctorWhitespaceWhat(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"s3cret\n":     "ends with a newline",
		"s3cret\r\n":   "ends with a CRLF newline",
		"s3cret ":      "ends with whitespace",
		"\ts3cret":     "starts with whitespace",
		" s3cret\n":    "starts with whitespace and ends with a newline",
		"s3\x1bcret":   "holds a control character",
		"s3\u009bcret": "holds a control character",
		"s3cret":       "",
	} {
		assert.Equal(t, want, formProblem(raw), "%q", raw)
	}
}
