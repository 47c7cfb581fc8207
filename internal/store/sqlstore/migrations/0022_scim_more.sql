-- SCIM sortBy (RFC 7644 §3.4.2.3) on more than userName. Each attribute a
-- SCIM client may sort by is read in order from one index that ends in the
-- username (groups: the name), the tie-break that makes the order total, so
-- a sorted page is an index range walk rather than a sort of every user.
-- name.familyName has users_last_name_search_idx (0003) already.

-- displayName as SCIM shows it: the display name, else "first last".
ALTER TABLE users ADD COLUMN display_sort ${key} GENERATED ALWAYS AS
    (LOWER(CASE WHEN display_name <> '' THEN display_name ELSE TRIM(first_name || ' ' || last_name) END)) ${generated};
CREATE INDEX users_display_sort_idx ON users (display_sort, username);

-- meta.lastModified and externalId: the indexes their filters use, with
-- the username after the value.
DROP INDEX users_updated_idx;
CREATE INDEX users_updated_idx ON users (updated_at, username);
DROP INDEX users_external_id_idx;
CREATE INDEX users_external_id_idx ON users (external_id, username);

-- Groups by displayName as SCIM shows it: the friendly name, else the name.
ALTER TABLE groups ADD COLUMN display_sort ${key} GENERATED ALWAYS AS
    (CASE WHEN friendly_name_lower <> '' THEN friendly_name_lower ELSE name END) ${generated};
CREATE INDEX groups_display_sort_idx ON groups (display_sort, name);
