# The smallest user: a username and an email address. The user registers a
# passkey through a setup link; until then its status is "pending-setup".
resource "rollcall_user" "jane" {
  username   = "jane"
  email      = "jane@example.com"
  first_name = "Jane"
  last_name  = "Doe"
}
