# Every member of a group (given by name or id), every page of the list.
data "rollcall_users" "engineering" {
  group = "engineering"
}

# Users whose username, email or names start with "ja".
data "rollcall_users" "ja" {
  q = "ja"
}

output "engineering_emails" {
  value = [for u in data.rollcall_users.engineering.users : u.email]
}
