# One owner per membership: each group is managed either by one
# rollcall_group_members (the whole list) or by rollcall_group_membership
# resources (one person each), and each user either lists its groups itself
# or leaves `groups` out.

# The platform team owns the whole member list of its group.
resource "rollcall_group" "platform" {
  name          = "platform"
  friendly_name = "Platform Engineering"
}

resource "rollcall_group_members" "platform" {
  group_id = rollcall_group.platform.id
  user_ids = [rollcall_user.ada.id, rollcall_user.bob.id]
}

# A shared group: every team adds only its own people.
resource "rollcall_group" "oncall" {
  name = "oncall"
}

resource "rollcall_group_membership" "oncall_ada" {
  group_id = rollcall_group.oncall.id
  user_id  = rollcall_user.ada.id
}

# A user whose groups are listed on the user itself. No group-side
# resource may mention this user.
resource "rollcall_group" "contractors" {
  name = "contractors"
}

resource "rollcall_user" "contractor" {
  username = "kim.contractor"
  email    = "kim@partner.example.com"
  groups   = [rollcall_group.contractors.id]
}

# Users managed from the group side leave `groups` out.
resource "rollcall_user" "ada" {
  username   = "ada"
  email      = "ada@example.com"
  first_name = "Ada"
  last_name  = "Lovelace"
}

resource "rollcall_user" "bob" {
  username = "bob"
  email    = "bob@example.com"
}
