# An administrator of Rollcall itself.
resource "rollcall_user" "alex" {
  username       = "alex"
  email          = "alex@example.com"
  email_verified = true
  is_admin       = true
}
