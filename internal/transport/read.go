package transport

import (
	"fmt"
	"io"
)

// Limits of a response body.
const (
	// MaxResponseSize bounds a successful body (64 MiB).
	MaxResponseSize = 64 << 20
	// MaxErrorBodySize bounds what is read and kept of an error body
	// (1 MiB).
	MaxErrorBodySize = 1 << 20
	// exactReadMax is the largest Content-Length allocated up front.
	exactReadMax = 1 << 20
)

// readBounded reads a body of at most limit bytes, reporting whether it is
// longer; the first limit bytes are then returned when keepPrefix is set
// (an error body is kept cut), nil otherwise (an oversized success is
// refused whole, so its bytes need no second buffer). The buffer is sized
// exactly: from a small Content-Length up front, else by collecting chunks
// joined once at the end, so a huge or endless body costs at most the limit
// plus one chunk, never a doubled buffer. A Content-Length of 0 counts as
// unknown: mock transports (httpmock's) leave it 0 whatever the body.
func readBounded(r io.Reader, contentLength, limit int64, keepPrefix bool) ([]byte, bool, error) {
	// A Content-Length only sizes the buffer when small: a lying header
	// must not make us allocate the whole limit.
	if contentLength <= 0 || contentLength > min(limit, exactReadMax) {
		return readChunks(r, limit, keepPrefix)
	}
	buf := make([]byte, contentLength)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, false, err
	}
	// Read to EOF, so net/http can reuse the connection.
	var probe [1]byte
	if n, err := r.Read(probe[:]); n > 0 {
		return nil, false, fmt.Errorf("body longer than its Content-Length %d", contentLength)
	} else if err != nil && err != io.EOF {
		return nil, false, err
	}
	return buf, false, nil
}

// readChunks reads r into chunks of growing size (512 bytes doubling up to
// 1 MiB), then joins them into one buffer of exactly the body's size.
func readChunks(r io.Reader, limit int64, keepPrefix bool) ([]byte, bool, error) {
	var chunks [][]byte
	size, total := 512, int64(0)
	for {
		chunk := make([]byte, int(min(int64(size), limit+1-total)))
		n, err := io.ReadFull(r, chunk)
		total += int64(n)
		chunks = append(chunks, chunk[:n])
		if total > limit {
			if !keepPrefix {
				return nil, true, nil
			}
			return join(chunks, limit), true, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return join(chunks, total), false, nil
		}
		if err != nil {
			return nil, false, err
		}
		size = min(size*2, 1<<20)
	}
}

// join concatenates chunks into n bytes (dropping anything after n).
func join(chunks [][]byte, n int64) []byte {
	if len(chunks) == 1 && int64(len(chunks[0])) >= n {
		return chunks[0][:n]
	}
	out := make([]byte, 0, n)
	for _, c := range chunks {
		out = append(out, c[:min(int64(len(c)), n-int64(len(out)))]...)
	}
	return out
}
