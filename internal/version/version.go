// Package version holds the build version (set with -ldflags -X).
package version

// Version is the release version, "dev" for local builds.
var Version = "dev"
