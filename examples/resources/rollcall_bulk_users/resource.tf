# A roster from a CSV export of the HR system (staff.csv beside this file),
# as one resource however many rows it has. The key of each entry is the
# employee number, which never changes for a person: a new username in the
# CSV renames the user in place.
locals {
  staff       = { for row in csvdecode(file("${path.module}/staff.csv")) : row.employee_id => row }
  group_names = toset(flatten([for row in local.staff : compact(split(";", row.groups))]))
}

resource "rollcall_group" "from_csv" {
  for_each = local.group_names
  name     = each.key
}

resource "rollcall_bulk_users" "staff" {
  users = {
    for id, row in local.staff : id => {
      username        = row.username
      email           = row.email
      first_name      = row.first_name
      last_name       = row.last_name
      department      = row.department
      title           = row.title
      external_id     = id
      external_source = "hr"
      # An empty groups column leaves that person's memberships alone, so
      # they can be managed from the group side (below).
      groups = row.groups == "" ? null : [for g in split(";", row.groups) : rollcall_group.from_csv[g].id]
    }
  }
}

# Group-side management for people whose entry leaves groups out.
resource "rollcall_group" "sales_leads" {
  name = "sales-leads"
}

resource "rollcall_group_members" "sales_leads" {
  group_id = rollcall_group.sales_leads.id
  user_ids = [rollcall_bulk_users.staff.ids["E1003"]]
}

output "staff_ids" {
  description = "User id by employee number."
  value       = rollcall_bulk_users.staff.ids
}
