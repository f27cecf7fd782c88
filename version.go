package pave

// What the SDK sends when nothing else is configured.
const (
	// Version is the SDK version sent in the User-Agent header. It is the
	// one place the version is written: change it with CHANGELOG.md when
	// tagging.
	Version = "0.1.0-dev"
	// DefaultBaseURL is PAVE's production API host. Live and test keys
	// share it.
	DefaultBaseURL = "https://openapi.paveapi.com"
)
