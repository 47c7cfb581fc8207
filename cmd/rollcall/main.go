// Command rollcall is Rollcall's server (rollcall serve) and admin CLI.
package main

import (
	"os"

	"github.com/rollcall/rollcall/internal/cli"
)

func main() { os.Exit(cli.Execute()) }
