package sessions

import (
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// CaptureQR draws link as a QR code for a terminal, two modules per
// character cell (see qrHalfBlocks).
func CaptureQR(link string) (string, error) {
	q, err := qrcode.New(link, qrcode.Low)
	if err != nil {
		return "", err
	}
	return qrHalfBlocks(q.Bitmap()), nil
}

// qrHalfBlocks renders a QR bitmap (true: a dark module; the quiet zone
// included) with half blocks, each character standing for two rows of one
// column. It draws the light modules, so the code reads on the usual
// light-on-dark terminal: a cell is "█" when both modules are light, "▀"
// when only the upper one is, "▄" when only the lower one is, and a space
// when both are dark. An odd last row is drawn as upper halves.
func qrHalfBlocks(bits [][]bool) string {
	var b strings.Builder
	for y := 0; y < len(bits); y += 2 {
		for x := range bits[y] {
			upper := !bits[y][x]
			lower := y+1 < len(bits) && !bits[y+1][x]
			switch {
			case upper && lower:
				b.WriteString("█")
			case upper:
				b.WriteString("▀")
			case lower:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
