// Command terraform-provider-rollcall is the Terraform (and OpenTofu)
// provider for Rollcall, registry address registry.terraform.io/rollcall/rollcall.
// Terraform starts it; run it with -debug to attach a debugger
// (TF_REATTACH_PROVIDERS).
package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/rollcall/rollcall/internal/provider"
)

// version is set at release time with -ldflags "-X main.version=1.2.3"
// (.goreleaser.yml); other builds report the version the Go toolchain
// recorded (providerVersion).
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run the provider for a debugger: print TF_REATTACH_PROVIDERS and wait for Terraform to attach")
	flag.Parse()
	quietSDKLogs()
	lessGC()
	stop := cpuProfile()
	defer stop()
	var opts []tf6server.ServeOpt
	if *debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve(provider.Address, provider.NewProtocol6(providerVersion()), opts...)
	if err != nil {
		stop()
		log.Fatal(err)
	}
}

// cpuProfile writes a CPU profile of this provider process when
// ROLLCALL_PROVIDER_CPUPROFILE is set, to that path with ".<pid>" added:
// Terraform starts the provider several times per command, and each
// process writes its own file (`go tool pprof` takes them all). It is for
// measuring the provider's share of a plan or apply; stop ends the
// profile, and is safe to call more than once.
func cpuProfile() (stop func()) {
	path := os.Getenv("ROLLCALL_PROVIDER_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path + "." + strconv.Itoa(os.Getpid()))
	if err != nil {
		log.Printf("ROLLCALL_PROVIDER_CPUPROFILE: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("ROLLCALL_PROVIDER_CPUPROFILE: %v", err)
		f.Close()
		return func() {}
	}
	done := false
	return func() {
		if done {
			return
		}
		done = true
		pprof.StopCPUProfile()
		f.Close()
	}
}

// quietSDKLogs turns the framework's and the protocol's own logs off when
// nobody asked for logs. Without it they log every request at trace level
// as JSON on stderr, and Terraform parses each line only to discard it when
// TF_LOG is unset: at 1,000 resources that was a quarter of the provider's
// CPU time, and more of Terraform's. The provider's own logger goes too:
// terraform-plugin-framework-timeouts logs a line at info level for every
// operation of every resource that has no timeouts block. Any TF_LOG*
// variable keeps them all on.
func quietSDKLogs() {
	for _, kv := range os.Environ() {
		if len(kv) > 6 && kv[:6] == "TF_LOG" {
			return
		}
	}
	for _, k := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_ROLLCALL"} {
		os.Setenv(k, "off")
	}
}

// lessGC lets the heap grow to five times the live data between
// collections (GOGC=400) unless GOGC is set. Terraform starts the provider
// for one command, and terraform-plugin-framework allocates for every
// value it converts, walks and validates: with 1,000 users in one
// rollcall_bulk_users resource, or 1,000 rollcall_user instances, the
// garbage collector took a quarter of the provider's CPU time. The live
// heap is a few tens of megabytes, so the extra memory does not matter.
func lessGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
