// Command terraform-provider-rollcall is the Terraform (and OpenTofu)
// provider for Rollcall, registry address registry.terraform.io/rollcall/rollcall.
// Terraform starts it; run it with -debug to attach a debugger
// (TF_REATTACH_PROVIDERS).
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/rollcall/rollcall/internal/provider"
)

// version is set at release time with -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run the provider for a debugger: print TF_REATTACH_PROVIDERS and wait for Terraform to attach")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
