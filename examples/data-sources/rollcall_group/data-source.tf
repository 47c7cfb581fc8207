data "rollcall_group" "engineering" {
  name = "engineering"
}

output "engineering_member_count" {
  value = data.rollcall_group.engineering.member_count
}
