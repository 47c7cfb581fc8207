# Bulk users from a CSV export of the HR system (users.csv beside this
# file). The groups column holds group names separated by ";".
locals {
  csv_users = { for row in csvdecode(file("${path.module}/users.csv")) : row.username => row }
  groups_by_name = {
    (rollcall_group.engineering.name) = rollcall_group.engineering.id
    (rollcall_group.vpn.name)         = rollcall_group.vpn.id
  }
}

resource "rollcall_user" "from_csv" {
  for_each = local.csv_users

  username   = each.value.username
  email      = each.value.email
  first_name = each.value.first_name
  last_name  = each.value.last_name
  department = each.value.department
  title      = each.value.title
  groups     = [for name in compact(split(";", each.value.groups)) : local.groups_by_name[name]]
}
