# Import an application by its client id:
terraform import rollcall_oidc_client.grafana 0b8e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4

# or by name (the secret is not in the state after an import: Rollcall keeps only its hash):
terraform import rollcall_oidc_client.grafana Grafana
