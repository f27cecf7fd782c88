package pavetest

import (
	"fmt"
	"time"
)

// Chaos makes deliveries and results misbehave for integration tests, as
// the network and PAVE's queues may: a fraction of deliveries dropped or
// sent twice, the deliveries of one change reordered, and the results of a
// fraction of sessions late. Every draw comes from Options.Seed, so a run
// repeats. Set it with Options.Chaos or, at run time, Server.SetChaos (PUT
// /_fake/chaos); Server.Deliveries records what it did.
type Chaos struct {
	// Drop is the fraction (0 to 1) of deliveries never sent, each
	// recorded with State "dropped".
	Drop float64 `json:"drop,omitempty" range:"0,1" doc:"Fraction of deliveries never sent (recorded as dropped)."`
	// Duplicate is the fraction of deliveries sent twice, the second
	// recorded with Duplicate.
	Duplicate float64 `json:"duplicate,omitempty" range:"0,1" doc:"Fraction of deliveries sent twice."`
	// Reorder shuffles the deliveries one change fires (a Complete's
	// STAGE_CHANGE, STATUS_CHANGE and COMPLETE) before they are queued.
	Reorder bool `json:"reorder,omitempty" doc:"Shuffle the deliveries of each change."`
	// ResultsDelayFraction is the fraction of sessions whose results wait
	// a further random time of up to ResultsDelayMax (see
	// Options.ResultsDelay).
	ResultsDelayFraction float64 `json:"results_delay_fraction,omitempty" range:"0,1" doc:"Fraction of sessions with late results."`
	// ResultsDelayMax bounds that further wait, in fake time.
	ResultsDelayMax time.Duration `json:"-"`
}

// chaosJSON is Chaos over HTTP, its duration in seconds.
type chaosJSON struct {
	Chaos
	ResultsDelayMaxSeconds float64 `json:"results_delay_max_seconds,omitempty" range:"0,31622400" doc:"Bound of the late results' wait, in seconds of fake time."`
}

func (c chaosJSON) chaos() Chaos {
	c.ResultsDelayMax = time.Duration(c.ResultsDelayMaxSeconds * float64(time.Second))
	return c.Chaos
}

func (c Chaos) json() chaosJSON { return chaosJSON{c, c.ResultsDelayMax.Seconds()} }

func (c Chaos) validate() error {
	for _, f := range []float64{c.Drop, c.Duplicate, c.ResultsDelayFraction} {
		if f < 0 || f > 1 {
			return fmt.Errorf("pavetest: Chaos fractions must be between 0 and 1, got %g", f)
		}
	}
	if c.ResultsDelayMax < 0 {
		return fmt.Errorf("pavetest: Chaos.ResultsDelayMax is negative")
	}
	return nil
}

// SetChaos replaces the server's Chaos (see Options.Chaos); it applies to
// the deliveries and completions that follow.
func (s *Server) SetChaos(c Chaos) error {
	if err := c.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.chaos = c
	s.mu.Unlock()
	return nil
}

// CurrentChaos returns the Chaos in force.
func (s *Server) CurrentChaos() Chaos {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chaos
}

// chaotic applies Chaos to a batch about to be dispatched: drops
// (recorded), duplicates and reordering, each drawn from the seed and the
// count of batches so far.
func (s *Server) chaotic(batch []pendingDelivery) []pendingDelivery {
	s.mu.Lock()
	c := s.chaos
	if c.Drop == 0 && c.Duplicate == 0 && !c.Reorder || len(batch) == 0 {
		s.mu.Unlock()
		return batch
	}
	s.chaosDraws++
	r := newRand(s.opts.Seed, "chaos", fmt.Sprint(s.chaosDraws))
	if c.Reorder {
		r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
	}
	s.mu.Unlock()
	out := make([]pendingDelivery, 0, len(batch))
	var dropped []Delivery
	for _, p := range batch {
		switch drop, dup := r.Float64() < c.Drop, r.Float64() < c.Duplicate; {
		case drop:
			dropped = append(dropped, p.delivery("dropped"))
		case dup:
			twin := p
			twin.duplicate = true
			out = append(out, p, twin)
		default:
			out = append(out, p)
		}
	}
	for _, d := range dropped {
		s.record(d)
	}
	return out
}
