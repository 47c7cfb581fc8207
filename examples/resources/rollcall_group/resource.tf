resource "rollcall_group" "engineering" {
  name          = "engineering"
  friendly_name = "Engineering"
  description   = "Everyone who builds the product."
  attributes = {
    slack_channel = "#engineering"
  }
}
