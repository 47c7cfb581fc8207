# Every attribute of the user model.
resource "rollcall_user" "complete" {
  username        = "jdoe"
  email           = "john.doe@example.com"
  email_verified  = true
  first_name      = "John"
  last_name       = "Doe"
  display_name    = "Johnny Doe"
  locale          = "en-GB"
  is_admin        = false
  disabled        = false
  phone           = "+44 20 7946 0958"
  mobile          = "+44 7700 900123"
  title           = "Site Reliability Engineer"
  department      = "Operations"
  avatar_url      = "https://avatars.example.com/jdoe.png"
  external_id     = "E-4711"
  external_source = "workday"
  attributes = {
    cost_center = "4711"
    employee_id = "4711"
  }
  groups = [rollcall_group.engineering.id]

  timeouts {
    create = "2m"
    update = "2m"
  }
}
