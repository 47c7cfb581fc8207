-- A token's scopes say which part of the server it reaches: "admin" is the
-- whole REST API with its owner's rights (every token made before scopes
-- existed), "scim" only /scim/v2, so a token given to Okta or Entra ID
-- cannot read audit events or make more tokens. Kept space-separated, as
-- OAuth writes scopes, in the order the API lists them.
ALTER TABLE api_tokens ADD COLUMN scopes ${text} NOT NULL DEFAULT 'admin';
