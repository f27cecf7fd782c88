package cmdutil

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// ConfigFile is the config file: named profiles, one per dealer.
//
//	{"profiles": {
//	  "default":  {"username": "lakesidehonda", "api_key": "...", "api_secret": "..."},
//	  "dealer-b": {"username": "northshoreauto", "api_key": "...", "api_secret": "...",
//	               "base_url": "http://127.0.0.1:8080"}}}
type ConfigFile struct {
	Profiles map[string]Profile `json:"profiles"`
}

// Profile is one set of credentials and, optionally, its API host.
type Profile struct {
	Username  string `json:"username"`
	APIKey    string `json:"api_key"`
	APISecret string `json:"api_secret"`
	BaseURL   string `json:"base_url,omitempty"`
}

// ConfigDir is the pave directory of the user's config directory
// ($XDG_CONFIG_HOME, else the platform's), read from the run's environment.
func (f *Factory) ConfigDir() string {
	dir := f.Getenv("XDG_CONFIG_HOME")
	switch home := f.Getenv("HOME"); {
	case dir != "":
	case runtime.GOOS == "windows":
		dir = f.Getenv("AppData")
	case runtime.GOOS == "darwin":
		dir = filepath.Join(home, "Library", "Application Support")
	default:
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "pave")
}

// ConfigPath is --config, else $PAVE_CONFIG, else config.json in ConfigDir.
func (f *Factory) ConfigPath() string {
	return cmp.Or(f.Config, f.Getenv("PAVE_CONFIG"), filepath.Join(f.ConfigDir(), "config.json"))
}

// ProfileName is --profile, else $PAVE_PROFILE, else "default"; explicit
// reports one was named.
func (f *Factory) ProfileName() (name string, explicit bool) {
	name = cmp.Or(f.Profile, f.Getenv("PAVE_PROFILE"))
	return cmp.Or(name, "default"), name != ""
}

// LoadProfile reads the selected profile. A missing file is no profile
// (found false); a file others can read is refused, as is a named profile
// that does not exist.
func (f *Factory) LoadProfile() (p Profile, found bool, err error) {
	name, explicit := f.ProfileName()
	path := f.ConfigPath()
	cf, err := f.readConfig(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && explicit:
		return Profile{}, false, Usagef("--profile %s: no config file at %s", name, path)
	case errors.Is(err, fs.ErrNotExist):
		return Profile{}, false, nil
	case err != nil:
		return Profile{}, false, err
	}
	p, found = cf.Profiles[name]
	if !found && explicit {
		return Profile{}, false, Usagef("--profile %s: no such profile in %s", name, path)
	}
	return p, found, nil
}

// ProfileNames lists the config file's profiles, for completion.
func (f *Factory) ProfileNames() []string {
	cf, _ := f.readConfig(f.ConfigPath())
	return slices.Sorted(maps.Keys(cf.Profiles))
}

func (f *Factory) readConfig(path string) (ConfigFile, error) {
	var cf ConfigFile
	st, err := os.Stat(path)
	if err != nil {
		return cf, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return cf, fmt.Errorf("config file %s is readable by others (mode %04o): it holds API secrets; run chmod 600 %s",
			path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &cf)
	}
	if err != nil {
		return cf, fmt.Errorf("config file %s: %w", path, err)
	}
	return cf, nil
}
