# Every group.
data "rollcall_groups" "all" {}

# Groups whose name or friendly name starts with "eng".
data "rollcall_groups" "eng" {
  q = "eng"
}

output "group_names" {
  value = [for g in data.rollcall_groups.all.groups : g.name]
}
