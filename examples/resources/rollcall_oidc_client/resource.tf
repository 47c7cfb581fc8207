resource "rollcall_group" "staff" {
  name = "staff"
}

# Grafana signs people in with Rollcall; only members of staff get in.
resource "rollcall_oidc_client" "grafana" {
  name           = "Grafana"
  redirect_uris  = ["https://grafana.example.com/login/generic_oauth"]
  allowed_groups = [rollcall_group.staff.id]
  logo_url       = "https://grafana.example.com/public/img/grafana_icon.svg"
  launch_url     = "https://grafana.example.com/"
}

# Hand the client id and secret to the application's configuration.
output "grafana_client_id" {
  value = rollcall_oidc_client.grafana.id
}

output "grafana_client_secret" {
  value     = rollcall_oidc_client.grafana.client_secret
  sensitive = true
}
