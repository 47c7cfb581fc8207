# Onboarding as code: one entry per person, one user each.
locals {
  new_hires = {
    "lena.berg"   = { first = "Lena", last = "Berg", department = "Finance", title = "Controller" }
    "omar.haddad" = { first = "Omar", last = "Haddad", department = "Engineering", title = "Engineer" }
    "sofia.rossi" = { first = "Sofia", last = "Rossi", department = "Engineering", title = "Engineering Manager" }
  }
}

resource "rollcall_user" "new_hire" {
  for_each = local.new_hires

  username   = each.key
  email      = "${each.key}@example.com"
  first_name = each.value.first
  last_name  = each.value.last
  department = each.value.department
  title      = each.value.title
  groups     = each.value.department == "Engineering" ? [rollcall_group.engineering.id] : []
}
