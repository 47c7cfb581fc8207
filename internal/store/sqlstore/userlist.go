package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/internal/store"
)

// The status_rank column (migration 0030) ranks a user's status as the
// console shows it, in the alphabetical order of the labels.
var statusRank = map[string]int{
	store.UserStatusActive: 0, store.UserStatusDisabled: 1, store.UserStatusPendingSetup: 2, store.UserStatusServiceAccount: 3,
}

// ListUsersPage returns a page of the console's user list; see
// store.UserListQuery. The page's usernames are found first, on the index
// of the order (skipping Offset entries of it), and only those 50 or so
// users are read whole, so a late page costs an index walk, not whole rows:
// every order's index holds the username, so on PostgreSQL that walk is an
// index-only scan. A group's members are read from the memberships index,
// in username order.
//
// The page asks for one user more than it shows: when there is none, this
// is the last page and the total needs no count. Otherwise the count is
// one index range when the query has one filter (a status or a group) or
// none, and exact; a status within a group is one index lookup per member
// (users_id_status_idx). A search stops counting at
// max(CountLimit, Offset+Limit)+1 matches, as does a status within a
// group: counting every one of the tens of thousands of users a one-letter
// search matches takes longer than the page.
func (s *Store) ListUsersPage(ctx context.Context, q store.UserListQuery) (store.UserListPage, error) {
	limit := pageLimit(store.Page{Limit: q.Limit})
	q.Offset = max(q.Offset, 0)
	none := store.UserListPage{Users: []store.User{}}
	b := &builder{d: s.d}
	from := "users"
	if q.GroupID != "" {
		// CROSS JOIN fixes the join order on SQLite; PostgreSQL plans it.
		from = "memberships m CROSS JOIN users"
		b.where("m.group_id = " + b.arg(q.GroupID) + " AND users.id = m.user_id")
	}
	if q.Query != "" {
		p := strings.ToLower(q.Query)
		var ors []string
		for _, col := range searchFields {
			ors = append(ors, b.prefix("users."+col, p))
		}
		b.where("(" + strings.Join(ors, " OR ") + ")")
	}
	if q.Status != "" {
		rank, ok := statusRank[q.Status]
		if !ok {
			return none, nil
		}
		b.where("users.status_rank = " + strconv.Itoa(rank))
	}
	c := s.read()
	order := s.userOrder(q, "users.")
	if q.GroupID != "" && (q.Sort == "" || q.Sort == store.UserSortName) {
		order = strings.Replace(order, "users.username", "m.username", 1)
	}
	inner := "SELECT users.username AS page_username FROM " + from + b.whereClause() + " ORDER BY " + order +
		" LIMIT " + strconv.Itoa(limit+1) + " OFFSET " + strconv.Itoa(q.Offset)
	sql := "SELECT " + s.d.userRow + " FROM (" + inner + ") page CROSS JOIN users WHERE users.username = page.page_username ORDER BY " + s.userOrder(q, "users.")
	users, err := c.queryUsers(ctx, b.statement(sql), b.args, limit+1)
	if err != nil {
		return none, err
	}
	more := len(users) > limit
	page := store.UserListPage{Users: users[:min(len(users), limit)]}
	if !more && (len(users) > 0 || q.Offset == 0) {
		page.Total = q.Offset + len(users)
		return page, nil
	}
	count := "SELECT COUNT(*) FROM " + from + b.whereClause()
	stop := 0 // count every match
	switch {
	case q.GroupID != "" && q.Query == "" && q.Status == "":
		// Every membership is of an existing user: count the index range.
		count = "SELECT COUNT(*) FROM memberships WHERE group_id = " + b.d.placeholder(1)
	case q.GroupID == "" && q.Query == "" && q.Status != "":
		count = fmt.Sprintf(s.d.statusCount, strconv.Itoa(statusRank[q.Status]))
	case q.CountLimit > 0 && (q.Query != "" || q.GroupID != "" && q.Status != ""):
		// Past the page (when it is not the last, more than Offset+Limit
		// match) and CountLimit, "more than" is all the list shows.
		stop = max(q.CountLimit, q.Offset+limit)
		count = "SELECT COUNT(*) FROM (SELECT 1 AS one FROM " + from + b.whereClause() +
			" LIMIT " + strconv.Itoa(stop+1) + ") counted"
	}
	if err := c.queryRow(ctx, b.statement(count), b.args, &page.Total); err != nil {
		return none, err
	}
	if stop > 0 && page.Total > stop {
		page.Total, page.TotalCapped = stop, true
	}
	return page, nil
}

// userOrder is the ORDER BY of q, its columns prefixed with table.
func (s *Store) userOrder(q store.UserListQuery, table string) string {
	dir, nulls := "", ""
	if q.Desc {
		dir = " DESC"
	}
	if s.d.name == "postgres" {
		// NULL (never signed in) sorts first, as on SQLite.
		nulls = " NULLS FIRST"
		if q.Desc {
			nulls = " NULLS LAST"
		}
	}
	name := table + "username" + dir
	switch q.Sort {
	case store.UserSortLastSignIn:
		return table + "last_sign_in_at" + dir + nulls + ", " + name
	case store.UserSortStatus:
		return table + "status_rank" + dir + ", " + name
	}
	return name
}
