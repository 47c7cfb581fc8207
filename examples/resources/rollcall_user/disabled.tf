# Offboarding: a disabled user cannot sign in but keeps its passkeys, groups
# and history, so re-enabling is one line. Delete the resource to remove the
# user for good.
resource "rollcall_user" "leaver" {
  username = "leaver"
  email    = "leaver@example.com"
  disabled = true
}
