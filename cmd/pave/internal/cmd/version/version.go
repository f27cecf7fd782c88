// Package version is pave version: the SDK version the command was built
// with.
package version

import (
	"runtime"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// Line is what pave version and pave --version print.
func Line() string {
	return "pave " + pave.Version + " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
}

// New returns pave version.
func New(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the SDK version the command was built with",
		Example: "  pave version\n  pave version --json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return f.IO.Result(nil, map[string]string{"version": pave.Version, "go": runtime.Version()}, func() {
				f.IO.Printf("%s\n", Line())
			})
		},
	}
}
