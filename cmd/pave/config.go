package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// configFile is the config file: named profiles, one per dealer.
//
//	{
//	  "profiles": {
//	    "default":  {"username": "lakesidehonda", "api_key": "...", "api_secret": "..."},
//	    "dealer-b": {"username": "northshoreauto", "api_key": "...", "api_secret": "...",
//	                 "base_url": "http://127.0.0.1:8080"}
//	  }
//	}
type configFile struct {
	Profiles map[string]profile `json:"profiles"`
}

// profile is one set of credentials and, optionally, its API host.
type profile struct {
	Username  string `json:"username"`
	APIKey    string `json:"api_key"`
	APISecret string `json:"api_secret"`
	BaseURL   string `json:"base_url,omitempty"`
}

// configPathFor returns the config file's path: --config, $PAVE_CONFIG,
// else os.UserConfigDir()/pave/config.json.
func (a *app) configPathFor() (string, error) {
	if a.configPath != "" {
		return a.configPath, nil
	}
	if p := a.getenv("PAVE_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "pave", "config.json"), nil
}

// loadProfile reads the selected profile. A missing file is no profile
// (ok false); a file others can read is refused, as is a named profile
// that does not exist.
func (a *app) loadProfile() (p profile, name string, ok bool, err error) {
	name = a.profile
	explicit := name != ""
	if name == "" {
		name = a.getenv("PAVE_PROFILE")
		explicit = name != ""
	}
	if name == "" {
		name = "default"
	}
	path, err := a.configPathFor()
	if err != nil {
		return profile{}, name, false, nil
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if explicit {
			return profile{}, name, false, usagef("--profile %s: no config file at %s", name, path)
		}
		return profile{}, name, false, nil
	}
	if err != nil {
		return profile{}, name, false, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return profile{}, name, false, fmt.Errorf("config file %s is readable by others (mode %04o): it holds API secrets; run chmod 600 %s",
			path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return profile{}, name, false, err
	}
	var cf configFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return profile{}, name, false, fmt.Errorf("config file %s: %w", path, err)
	}
	p, ok = cf.Profiles[name]
	if !ok && explicit {
		return profile{}, name, false, usagef("--profile %s: no such profile in %s", name, path)
	}
	return p, name, ok, nil
}

// credentials resolves the credentials: flags, then the environment, then
// the profile, field by field. Each value is trimmed (a secret pasted with
// its newline makes every token wrong).
func (a *app) credentials() (pave.Credentials, string, error) {
	p, _, _, err := a.loadProfile()
	if err != nil {
		return pave.Credentials{}, "", err
	}
	pick := func(flag, env, prof string) string {
		for _, v := range []string{flag, a.getenv(env), prof} {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
		return ""
	}
	c := pave.Credentials{
		Username:  pick(a.username, pave.EnvUsername, p.Username),
		APIKey:    pick(a.apiKey, pave.EnvAPIKey, p.APIKey),
		APISecret: pick(a.apiSecret, pave.EnvAPISecret, p.APISecret),
	}
	base := pick(a.baseURL, "PAVE_BASE_URL", p.BaseURL)
	if base == "" {
		base = pave.DefaultBaseURL
	}
	var missing []string
	for _, f := range []struct{ v, flag, env string }{
		{c.Username, "--username", pave.EnvUsername},
		{c.APIKey, "--api-key", pave.EnvAPIKey},
		{c.APISecret, "--api-secret", pave.EnvAPISecret},
	} {
		if f.v == "" {
			missing = append(missing, f.flag+" or "+f.env)
		}
	}
	if len(missing) == 3 && base != pave.DefaultBaseURL {
		// Nothing set, and pointed elsewhere than PAVE: a pave fake
		// server lists its accounts; sign as its default one.
		if fc, ok := a.fakeAccount(base, c.Username); ok {
			return fc, base, nil
		}
	}
	if len(missing) > 0 {
		return pave.Credentials{}, base, fmt.Errorf("%w: set %s (or a config-file profile)", pave.ErrInvalidCredentials, strings.Join(missing, ", "))
	}
	return c, base, nil
}

// fakeAccount asks a pave fake server at base for its accounts (GET
// /_fake/accounts, with PAVE_FAKE_CONTROL_TOKEN when set) and returns the
// default one, or the one named username. Anything else than a fake
// answering that endpoint gives ok false.
func (a *app) fakeAccount(base, username string) (pave.Credentials, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/_fake/accounts", nil)
	if err != nil {
		return pave.Credentials{}, false
	}
	if tok := strings.TrimSpace(a.getenv(envFakeControlToken)); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return pave.Credentials{}, false
	}
	defer resp.Body.Close()
	var out struct {
		Accounts []pave.Credentials `json:"accounts"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out) != nil || len(out.Accounts) == 0 {
		return pave.Credentials{}, false
	}
	for _, c := range out.Accounts {
		if username == "" || c.Username == username {
			if c.Validate() == nil {
				fmt.Fprintf(a.stderr, "pave: signing as the fake server's account %s\n", c.Username)
				return c, true
			}
		}
	}
	return pave.Credentials{}, false
}

// client builds a client from the resolved credentials and base URL.
func (a *app) client(opts ...pave.Option) (*pave.Client, error) {
	creds, base, err := a.credentials()
	if err != nil {
		return nil, err
	}
	all := append([]pave.Option{pave.WithBaseURL(base), pave.WithUserAgent("pave-cli/" + pave.Version)}, opts...)
	c, err := pave.NewClient(creds, all...)
	if errors.Is(err, pave.ErrInvalidOption) {
		return nil, usageError{err}
	}
	return c, err
}

// resolvedBaseURL is the base URL commands that need no credentials use
// (the fake's control commands).
func (a *app) resolvedBaseURL() (string, error) {
	p, _, _, err := a.loadProfile()
	if err != nil {
		return "", err
	}
	for _, v := range []string{a.baseURL, a.getenv("PAVE_BASE_URL"), p.BaseURL} {
		if v = strings.TrimSpace(v); v != "" {
			return strings.TrimRight(v, "/"), nil
		}
	}
	return "", usagef("no base URL: set --base-url or PAVE_BASE_URL to the fake server's URL")
}
