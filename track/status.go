package track

import (
	"strings"

	"github.com/pave-go/pave"
)

// Ranks order PAVE's lifecycle: a status moves a record only to a higher
// rank, so a late or repeated delivery changes nothing. The three final
// statuses share the top rank: the first one learned stands.
const (
	rankUnknown = 0
	rankFinal   = 6
)

// rank places status in PAVE's lifecycle (0 for a status it does not
// know, such as the v2 vocabulary, which then moves nothing).
func rank(status pave.SessionStatus) int {
	switch pave.SessionStatus(strings.ToUpper(strings.TrimSpace(string(status)))) {
	case pave.StatusIdle:
		return 1
	case pave.StatusStarted:
		return 2
	case pave.StatusProcess, "PROCESSING":
		return 3
	case pave.StatusQCPassed:
		return 4
	case pave.StatusConfirm:
		return 5
	case pave.StatusComplete, pave.StatusExpired, pave.StatusInvalid:
		return rankFinal
	}
	return rankUnknown
}

// phaseFor is the phase a tracked session moves to on reaching status.
func phaseFor(status pave.SessionStatus) Phase {
	switch {
	case strings.EqualFold(string(status), string(pave.StatusComplete)):
		return PhaseResults
	case status.Final():
		return PhaseEnded
	}
	return PhaseTracking
}
