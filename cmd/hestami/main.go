// Command hestami is the Hestami concierge binary.
package main

import (
	"os"

	"github.com/hestami/concierge/internal/cli"
)

func main() { os.Exit(cli.Main()) }
