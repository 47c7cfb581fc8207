resource "rollcall_group" "engineering" {
  name          = "engineering"
  friendly_name = "Engineering"
  description   = "Everyone who builds the product."
  attributes = {
    slack_channel = "#engineering"
  }
  # In the ID tokens, userinfo and access tokens of every member.
  custom_claims = jsonencode({
    role        = "engineer"
    cost_center = 4200
  })
}
