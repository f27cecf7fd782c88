package pave

// Version is the SDK version sent in the User-Agent header. It is the one
// place the version is written: change it with CHANGELOG.md when tagging.
const Version = "0.1.0-dev"
