# One person in a shared group, leaving the group's other members alone:
# each team's configuration adds only its own people.
resource "rollcall_group" "oncall" {
  name = "oncall"
}

resource "rollcall_user" "dana" {
  username = "dana"
  email    = "dana@example.com"
}

resource "rollcall_group_membership" "oncall_dana" {
  group_id = rollcall_group.oncall.id
  user_id  = rollcall_user.dana.id
}
