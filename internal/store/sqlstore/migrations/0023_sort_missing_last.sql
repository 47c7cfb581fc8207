-- SCIM sortBy puts resources without the value last when ascending and
-- first when descending (RFC 7644 §3.4.2.3). A missing name.familyName,
-- displayName or externalId is stored as '', which sorts before every
-- value, so these sorts order by (value = '') first (false, a value,
-- before true), then by the value and the username. Each such order is
-- read from one index that starts with the same expression, so a sorted
-- page stays an index range walk rather than a sort of every user.
-- users_last_name_search_idx and users_external_id_idx stay for the
-- filters (name.familyName eq/sw, externalId eq), which look values up.
DROP INDEX users_display_sort_idx;
CREATE INDEX users_display_sort_idx ON users ((display_sort = ''), display_sort, username);
CREATE INDEX users_last_name_sort_idx ON users ((last_name_lower = ''), last_name_lower, username);
CREATE INDEX users_external_id_sort_idx ON users ((external_id = ''), external_id, username);
