package paveotel

import "github.com/pave-go/pave"

// Observer returns i's pave.Observer, for tests in package paveotel_test
// that call it without a client.
func Observer(i *Instrumentation) pave.Observer { return (*observer)(i) }
