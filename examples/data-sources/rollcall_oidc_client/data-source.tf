# An application registered elsewhere (another configuration, the CLI),
# found by name: its client id for a configuration that sets up the
# application itself.
data "rollcall_oidc_client" "grafana" {
  name = "Grafana"
}

output "grafana_client_id" {
  value = data.rollcall_oidc_client.grafana.id
}
