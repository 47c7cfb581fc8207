-- The console's user list counts the users of one status within a group
-- (ListUsersPage): one lookup of each member by id. With status_rank beside
-- the id in one index, that lookup reads the index alone, not the user's
-- row (on SQLite, where status_rank is virtual, the row it is computed
-- from): at a group of 10,000 of 100,000 users the count took 10 ms on
-- SQLite instead of 25 ms. PostgreSQL reads it index-only too.
CREATE INDEX users_id_status_idx ON users (id, status_rank);
