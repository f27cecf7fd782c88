package cmdutil

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pave-go/pave"
)

// Path is the command's path without the program's name, for messages
// that the root prefixes with "pave: ".
func Path(cmd *cobra.Command) string {
	_, p, _ := strings.Cut(cmd.CommandPath(), " ")
	return p
}

// ArgsNamed requires exactly the positional arguments names, not blank,
// and says which are missing or extra.
func ArgsNamed(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		help := "see " + cmd.CommandPath() + " --help"
		switch {
		case len(args) < len(names):
			return Usagef("%s: missing %s (%s)", Path(cmd), strings.Join(names[len(args):], " "), help)
		case len(args) > len(names):
			return Usagef("%s: unexpected argument %q (want %s; %s)", Path(cmd), args[len(names)], strings.Join(names, " "),
				help)
		}
		for i, arg := range args {
			if strings.TrimSpace(arg) == "" {
				return Usagef("%s: %s must not be empty", Path(cmd), names[i])
			}
		}
		return nil
	}
}

// SplitKeyValue parses a flag's KEY=VALUE (KEY not blank).
func SplitKeyValue(flag, kv, form string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	if k = strings.TrimSpace(k); !ok || k == "" {
		return "", "", Usagef("%s %q: want %s", flag, kv, form)
	}
	return k, v, nil
}

// ParseEvent reads an EVENT: a documented event's full name or its short
// name (without "SESSION:", '-' for '_'), in any case.
func ParseEvent(arg string) (pave.EventName, error) {
	want := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(arg), "-", "_"))
	for _, e := range pave.Events() {
		if want == string(e) || "SESSION:"+want == string(e) {
			return e, nil
		}
	}
	var names []string
	for _, e := range pave.Events() {
		names = append(names, fmt.Sprintf("%s (%s)", e, ShortEvent(e)))
	}
	return "", Usagef("unknown event %q: use one of %s", arg, strings.Join(names, ", "))
}

// ShortEvent is an event's short name: complete for SESSION:COMPLETE.
func ShortEvent(e pave.EventName) string {
	return strings.ToLower(strings.TrimPrefix(string(e), "SESSION:"))
}

// CompleteEvents completes an EVENT with the short names.
func CompleteEvents(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var names []string
	for _, e := range pave.Events() {
		names = append(names, ShortEvent(e))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// Complete returns a completion function offering values.
func Complete(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// FlagHint adds to a validation error the flags (or arguments) of cmd
// that set the fields it names. fields maps a field's path, in lower
// case, to its flag; a field without one takes that of the nearest field
// holding it ("headers" for headers.X-Tenant, "photos" for photos[0].url).
// Any other error is returned as is.
func FlagHint(cmd *cobra.Command, err error, fields map[string]string) error {
	if !errors.Is(err, pave.ErrValidation) {
		return err
	}
	var flags []string
	for path := range pave.FieldErrors(err) {
		p := strings.ToLower(strings.TrimPrefix(path, "options."))
		f, ok := fields[p]
		for i := strings.LastIndexAny(p, ".["); !ok && i > 0; i = strings.LastIndexAny(p, ".[") {
			p = p[:i]
			f, ok = fields[p]
		}
		has := ok && (strings.HasPrefix(f, "--") && cmd.Flags().Lookup(f[2:]) != nil || strings.Contains(cmd.Use, f))
		if has && !slices.Contains(flags, f) {
			flags = append(flags, f)
		}
	}
	if len(flags) == 0 {
		return err
	}
	slices.Sort(flags)
	return fmt.Errorf("%w (check %s)", err, strings.Join(flags, ", "))
}

// DurationVar defines a duration flag refusing values under min (min 1:
// more than 0).
func DurationVar(fs *pflag.FlagSet, d *time.Duration, name string, value, min time.Duration, usage string) {
	*d = value
	fs.Var(&durationFlag{d: d, min: min}, name, usage)
}

type durationFlag struct {
	d   *time.Duration
	min time.Duration
}

// Set parses and checks a value.
func (v *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New("want a duration such as 30s or 5m")
	case d < v.min && v.min == 1:
		return errors.New("must be more than 0")
	case d < v.min:
		return fmt.Errorf("must be at least %s", v.min)
	}
	*v.d = d
	return nil
}

// String is the value, for the help text.
func (v *durationFlag) String() string { return v.d.String() }

// Type names the value in the help text.
func (v *durationFlag) Type() string { return "duration" }

// Group makes c a command group of subs: run alone it prints its help,
// and an unknown subcommand is a usage error.
func Group(c *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return Usagef("%s: unknown subcommand %q (see %s --help)", Path(cmd), args[0], cmd.CommandPath())
		}
		return nil
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	c.AddCommand(subs...)
	return c
}

// CheckListenAddr checks a listen address given as flag.
func CheckListenAddr(flag, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Usagef("%s %q: want host:port, e.g. 127.0.0.1:8080 (%v)", flag, addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return Usagef("%s %q: the port must be a number from 0 to 65535 (0 picks a free one)", flag, addr)
	}
	return nil
}

// ListenError turns a failure to listen on addr into a one-line error.
func ListenError(flag, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return Exitf(ExitError, "%s %s: address already in use (another process listens there; pick another port, "+
			"or port 0 for a free one)", flag, addr)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return Exitf(ExitError, "%s %s: cannot listen: %v", flag, addr, err)
}

// References reads --reference KEY=VALUE flags (nil for none).
func References(kvs []string) (map[string]any, error) {
	var m map[string]any
	for _, kv := range kvs {
		k, v, err := SplitKeyValue("--reference", kv, "KEY=VALUE")
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = map[string]any{}
		}
		m[k] = v
	}
	return m, nil
}
