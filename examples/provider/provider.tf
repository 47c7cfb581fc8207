terraform {
  required_providers {
    rollcall = {
      source = "rollcall/rollcall"
    }
  }
}

# The URL and an admin's API token come from ROLLCALL_URL and
# ROLLCALL_TOKEN, which keeps the token out of the configuration:
#
#   export ROLLCALL_URL=https://rollcall.example.com
#   export ROLLCALL_TOKEN=rc_...
provider "rollcall" {
  # url   = "https://rollcall.example.com"
  timeout = "30s"
}
