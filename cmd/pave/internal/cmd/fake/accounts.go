package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
	"github.com/pave-go/pave/pavetest"
)

// Account is an account as the fake lists it (GET /_fake/accounts) and as
// --accounts reads it: the fields pave.Credentials marshals to, plus the
// fake's own settings.
type Account struct {
	Username     string `json:"username"`
	APIKey       string `json:"api_key"`
	APISecret    string `json:"api_secret,omitempty"`
	AccountName  string `json:"account_name,omitempty"`
	DefaultTheme string `json:"default_theme,omitempty"`
	APIName      string `json:"api_name,omitempty"`
	Default      bool   `json:"default,omitempty"`
}

// listed turns accounts into their listing, the first the default, the
// secrets only when shown.
func listed(accts []pavetest.Account, secrets bool) []Account {
	out := make([]Account, len(accts))
	for i, a := range accts {
		out[i] = Account{Username: a.Username, APIKey: a.APIKey, AccountName: a.AccountName,
			DefaultTheme: string(a.DefaultTheme), APIName: a.APIName, Default: i == 0}
		if secrets {
			out[i].APISecret = a.APISecret
		}
	}
	return out
}

// printAccounts prints accounts as a table.
func printAccounts(f *cmdutil.Factory, accts []Account, secrets bool) {
	head := []string{"USERNAME", "API KEY", "ACCOUNT NAME", "THEME", "DEFAULT"}
	if secrets {
		head = slices.Insert(head, 2, "API SECRET")
	}
	t := f.IO.Table(head...)
	for _, a := range accts {
		row := []any{a.Username, a.APIKey, a.AccountName, a.DefaultTheme, map[bool]string{true: "yes"}[a.Default]}
		if secrets {
			row = slices.Insert(row, 2, any(a.APISecret))
		}
		t.Row(row...)
	}
	t.Print()
}

func newCmdAccounts(f *cmdutil.Factory) *cobra.Command {
	var secrets bool
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the accounts of a running fake server",
		Long: `accounts lists the accounts of the fake at --base-url or PAVE_BASE_URL
(GET /_fake/accounts), the default one first. The API secrets are printed
only with --show-secrets.`,
		Example: "  pave fake accounts\n  pave fake accounts --json --show-secrets",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return fakeCall(f, "", (*pavetest.ControlClient).Accounts, func(accts []pavetest.Account) error {
				list := listed(accts, secrets)
				return f.IO.Result(nil, map[string]any{"accounts": list}, func() { printAccounts(f, list, secrets) })
			})
		},
	}
	cmd.Flags().BoolVar(&secrets, "show-secrets", false, "print the API secrets")
	return cmd
}

// loadAccounts reads --accounts: a JSON list of accounts, or the object
// GET /_fake/accounts answers ({"accounts": [...]}).
func loadAccounts(path string) ([]pavetest.Account, error) {
	bad := func(format string, a ...any) error {
		return cmdutil.Usagef("--accounts %s: %s", path, fmt.Sprintf(format, a...))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, bad("cannot read it: %v", errors.Unwrap(err))
	}
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		var wrapped struct {
			Accounts json.RawMessage `json:"accounts"`
		}
		if err := json.Unmarshal(b, &wrapped); err != nil || len(wrapped.Accounts) == 0 {
			return nil, bad("want a JSON list of accounts (or {\"accounts\": [...]}): %s", jsonProblem(err))
		}
		b = wrapped.Accounts
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var list []Account
	if err := dec.Decode(&list); err != nil {
		return nil, bad("not a JSON list of accounts {username, api_key, api_secret, account_name, default_theme}: %s",
			jsonProblem(err))
	}
	switch {
	case dec.More():
		return nil, bad("unexpected data after the list")
	case len(list) == 0:
		return nil, bad("the list is empty (give at least one account, or leave --accounts out for a generated one)")
	}
	seen := map[string]int{}
	out := make([]pavetest.Account, 0, len(list))
	for i, a := range list {
		n := i + 1
		var missing []string
		for _, f := range [][2]string{{"username", a.Username}, {"api_key", a.APIKey}, {"api_secret", a.APISecret}} {
			if strings.TrimSpace(f[1]) == "" {
				missing = append(missing, f[0])
			}
		}
		theme := pave.Theme(strings.ToUpper(strings.TrimSpace(a.DefaultTheme)))
		switch prev, dup := seen[a.APIKey]; {
		case len(missing) > 0:
			return nil, bad("account %d: missing %s", n, strings.Join(missing, ", "))
		case dup:
			return nil, bad("account %d has the same api_key as account %d (each API key must be unique)", n, prev)
		case theme != "" && !theme.Known():
			return nil, bad("account %d: default_theme %q is not one of LITE, PRO, CAPT", n, a.DefaultTheme)
		case a.Default:
			return nil, bad("account %d: \"default\" is not read from the file; the first account is the default", n)
		}
		seen[a.APIKey] = n
		out = append(out, pavetest.Account{Username: a.Username, APIKey: a.APIKey, APISecret: a.APISecret,
			AccountName: a.AccountName, DefaultTheme: theme, APIName: a.APIName})
	}
	return out, nil
}

// jsonProblem describes a JSON decoding error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "no accounts"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("field %s must be a %s", te.Field, te.Type)
	case errors.As(err, &te):
		return fmt.Sprintf("found a JSON %s", te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the file is empty or cut short"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
