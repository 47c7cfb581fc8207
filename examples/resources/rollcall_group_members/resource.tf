# The whole member list of a group, managed from the group's side. The
# members' rollcall_user resources leave `groups` out.
resource "rollcall_group" "sre" {
  name = "sre"
}

resource "rollcall_user" "sre" {
  for_each = toset(["ana", "ben", "chloe"])

  username = each.key
  email    = "${each.key}@example.com"
}

resource "rollcall_group_members" "sre" {
  group_id = rollcall_group.sre.id
  user_ids = [for u in rollcall_user.sre : u.id]
}
