package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
)

func init() {
	commands = append(commands, func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:     "version",
			Short:   "Print the SDK version the command was built with",
			Example: "  pave version\n  pave version --json",
			Args:    cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				if a.jsonOut {
					return a.printJSON(map[string]string{"version": pave.Version, "go": runtime.Version()})
				}
				_, err := fmt.Fprintf(a.stdout, "pave %s (%s %s/%s)\n", pave.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return err
			},
		}
	})
}
