# Locale and phone numbers are stored in canonical form (de-DE, E.164); the
# spelling in the configuration is kept and causes no diff.
resource "rollcall_user" "amelie" {
  username = "amelie"
  email    = "amelie@example.de"
  locale   = "de_DE"
  phone    = "+49 30 901820"
  mobile   = "+49 1512 3456789"
}
