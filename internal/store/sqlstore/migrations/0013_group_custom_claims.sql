-- Custom claims of a group: a JSON object (claim name to any JSON value)
-- merged into the ID tokens and userinfo of its members, after Rollcall's
-- own claims and a client's attribute-claims (README, "Sign in to an
-- application").
ALTER TABLE groups ADD COLUMN custom_claims ${text} NOT NULL DEFAULT '{}';
