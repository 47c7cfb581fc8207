package provider

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/testserver"
)

// benchUsersTF is the benchmark's configuration: ten groups and one user
// per row of users.csv, each in the group its row names.
const benchUsersTF = `
locals {
  rows = { for r in csvdecode(file("${path.module}/users.csv")) : r.username => r }
}

resource "rollcall_group" "team" {
  for_each = toset([for i in range(10) : format("team%02d", i)])
  name     = each.key
}

resource "rollcall_user" "u" {
  for_each = local.rows

  username   = each.value.username
  email      = each.value.email
  first_name = each.value.first_name
  last_name  = each.value.last_name
  department = each.value.department
  groups     = [rollcall_group.team[each.value.group].id]
}
`

// benchBulkTF is the same roster as one rollcall_bulk_users resource:
// eleven resource instances instead of 1,010.
const benchBulkTF = `
locals {
  rows = { for r in csvdecode(file("${path.module}/users.csv")) : r.username => r }
}

resource "rollcall_group" "team" {
  for_each = toset([for i in range(10) : format("team%02d", i)])
  name     = each.key
}

resource "rollcall_bulk_users" "u" {
  users = {
    for k, r in local.rows : k => {
      username   = r.username
      email      = r.email
      first_name = r.first_name
      last_name  = r.last_name
      department = r.department
      groups     = [rollcall_group.team[r.group].id]
    }
  }
}
`

// benchCoreTF is the same shape with terraform_data, which is built into
// Terraform: no provider, no server. It measures Terraform's own share of
// the time, the floor any provider can reach.
const benchCoreTF = `
locals {
  rows = { for r in csvdecode(file("${path.module}/users.csv")) : r.username => r }
}

resource "terraform_data" "team" {
  for_each = toset([for i in range(10) : format("team%02d", i)])
  input    = each.key
}

resource "terraform_data" "u" {
  for_each = local.rows
  input = {
    username   = each.value.username
    email      = each.value.email
    first_name = each.value.first_name
    last_name  = each.value.last_name
    department = each.value.department
    groups     = [terraform_data.team[each.value.group].id]
  }
}
`

// BenchmarkTerraform1000Users measures what an operator waits for with the
// real terraform CLI and the built provider on a real server (SQLite):
// `terraform apply` of 1,000 users in 10 groups from a CSV, the no-op
// `terraform plan` that follows (it must report no changes), and
// `terraform destroy`, each as wall time and as the CPU time of terraform
// and the provider. Run it once:
//
//	go test ./internal/provider -run '^$' -bench Terraform1000 -benchtime 1x
//
// BENCH_TF_PARALLELISM sets terraform's -parallelism (default 10).
func BenchmarkTerraform1000Users(b *testing.B) { benchTerraform(b, benchUsersTF, true) }

// BenchmarkTerraform1000BulkUsers runs the same steps on the same CSV with
// one rollcall_bulk_users resource holding the 1,000 users.
func BenchmarkTerraform1000BulkUsers(b *testing.B) { benchTerraform(b, benchBulkTF, true) }

// BenchmarkTerraform1000CoreBaseline runs the same steps on the same CSV
// with terraform_data instead of Rollcall resources.
func BenchmarkTerraform1000CoreBaseline(b *testing.B) { benchTerraform(b, benchCoreTF, false) }

func benchTerraform(b *testing.B, mainTF string, withProvider bool) {
	const users = 1000
	parallelism := 10
	if v := os.Getenv("BENCH_TF_PARALLELISM"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("BENCH_TF_PARALLELISM=%q is not a positive number", v)
		}
		parallelism = n
	}
	cli := newRealCLI(b)
	par := "-parallelism=" + strconv.Itoa(parallelism)
	var apply, plan, destroy, applyCPU, planCPU, destroyCPU time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := testserver.Start(b, testserver.WithLogLevel(slog.LevelWarn))
		mod := b.TempDir()
		var csv strings.Builder
		csv.WriteString("username,email,first_name,last_name,department,group\n")
		for j := range users {
			fmt.Fprintf(&csv, "user%04d,user%04d@example.com,First%d,Last%d,Dept%d,team%02d\n", j, j, j, j, j%7, j%10)
		}
		files := map[string]string{"main.tf": mainTF, "users.csv": csv.String()}
		if withProvider {
			providerTF, err := os.ReadFile(filepath.Join(repoRoot(b), "examples", "provider", "provider.tf"))
			if err != nil {
				b.Fatal(err)
			}
			files["provider.tf"] = string(providerTF)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o600); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()

		t0 := time.Now()
		cli.run(b, mod, srv, []int{0}, "apply", "-auto-approve", "-input=false", "-no-color", par)
		applyCPU += cli.lastCPU
		t1 := time.Now()
		cli.run(b, mod, srv, []int{0}, "plan", "-detailed-exitcode", "-input=false", "-no-color", par)
		planCPU += cli.lastCPU
		t2 := time.Now()
		cli.run(b, mod, srv, []int{0}, "destroy", "-auto-approve", "-input=false", "-no-color", par)
		destroyCPU += cli.lastCPU
		t3 := time.Now()
		apply += t1.Sub(t0)
		plan += t2.Sub(t1)
		destroy += t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(apply.Seconds()/n, "apply-s")
	b.ReportMetric(plan.Seconds()/n, "plan-s")
	b.ReportMetric(destroy.Seconds()/n, "destroy-s")
	// CPU time of terraform and the provider (not the server): on a busy
	// machine it says more than the wall time.
	b.ReportMetric(applyCPU.Seconds()/n, "apply-cpu-s")
	b.ReportMetric(planCPU.Seconds()/n, "plan-cpu-s")
	b.ReportMetric(destroyCPU.Seconds()/n, "destroy-cpu-s")
}
