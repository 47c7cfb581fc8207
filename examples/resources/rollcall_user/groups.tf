# The user's groups, listed on the user: authoritative for this user
# (memberships added elsewhere are removed on the next apply).
resource "rollcall_group" "engineering" {
  name = "engineering"
}

resource "rollcall_group" "vpn" {
  name = "vpn-users"
}

resource "rollcall_user" "grace" {
  username = "grace"
  email    = "grace@example.com"
  groups   = [rollcall_group.engineering.id, rollcall_group.vpn.id]
}

# groups = [] means "in no group at all".
resource "rollcall_user" "intern" {
  username = "intern"
  email    = "intern@example.com"
  groups   = []
}
