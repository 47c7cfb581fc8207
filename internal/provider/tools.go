//go:build tools

package provider

// The documentation test runs tfplugindocs with `go run`; this import keeps
// its module in go.mod and go.sum (it is never compiled).
import _ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
