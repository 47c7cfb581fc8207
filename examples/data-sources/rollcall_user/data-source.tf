# Find a user managed elsewhere, by username, email or id.
data "rollcall_user" "jane" {
  username = "jane"
}

data "rollcall_user" "by_email" {
  email = "jane@example.com"
}

output "jane_groups" {
  value = data.rollcall_user.jane.groups
}
