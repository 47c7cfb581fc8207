package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

const tokenCols = `id, user_id, name, hash, prefix, scopes, expires_at, last_used_at, created_at`

var (
	qInsertToken = stmt(`INSERT INTO api_tokens (` + tokenCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qTokenByID   = stmt(`SELECT ` + tokenCols + ` FROM api_tokens WHERE id = ?`)
	qTokenByHash = stmt(`SELECT ` + tokenCols + ` FROM api_tokens WHERE hash = ?`)
	qDeleteToken = stmt(`DELETE FROM api_tokens WHERE id = ?`)
	// The token with its owner for authentication. Tokens cascade with
	// their user, so the inner join loses no token.
	qTokenAndOwner = stmt(`SELECT t.id, t.user_id, t.name, t.prefix, t.scopes, t.expires_at, t.last_used_at, t.created_at,
 u.username, u.is_admin, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`)
	qLockTokenOwner  = lockStmt(`SELECT id FROM users WHERE id = ?`)
	qCountLiveTokens = stmt(`SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)`)
	qTouchToken      = stmt(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`)
)

func scanToken(row interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var scopes string
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &scopes, nullTimeCol{&t.ExpiresAt},
		nullTimeCol{&t.LastUsedAt}, timeCol{&t.CreatedAt})
	t.Scopes = strings.Fields(scopes)
	return t, err
}

// tokenFields are what the audit log records of a token: never the hash.
func tokenFields(t *store.Token) []field {
	return []field{
		{"name", t.Name},
		{"prefix", t.Prefix},
		{"user-id", t.UserID},
		{"scopes", t.Scopes},
		{"expires-at", t.ExpiresAt},
	}
}

// CreateToken stores a token for an existing user. A missing user is a
// *store.ReferenceError.
func (s *Store) CreateToken(ctx context.Context, t store.Token, m store.Meta) (store.Token, error) {
	return s.CreateTokenWithin(ctx, t, 0, m)
}

// CountLiveTokens counts the user's unexpired tokens.
func (s *Store) CountLiveTokens(ctx context.Context, userID string, now time.Time) (int, error) {
	c := s.read()
	var n int
	err := c.queryRow(ctx, qCountLiveTokens, []any{userID, c.t(now)}, &n)
	return n, err
}

// CreateTokenWithin stores a token unless its owner already holds maxLive
// live ones; see store.Store. On PostgreSQL the owner's row is locked FOR
// UPDATE before the count, so two creates for one user count one after
// the other; SQLite's single writer does that anyway.
func (s *Store) CreateTokenWithin(ctx context.Context, t store.Token, maxLive int, m store.Meta) (store.Token, error) {
	now := s.now()
	t.ID = newID(t.ID)
	t.ExpiresAt = truncTime(t.ExpiresAt)
	t.LastUsedAt = truncTime(t.LastUsedAt)
	t.CreatedAt = now
	t.Hash = slices.Clone(t.Hash)
	t.Scopes = store.NormalizeScopes(t.Scopes)
	err := s.write(ctx, func(c *conn) error {
		if err := c.checkRefs(ctx, "user", "users", []string{t.UserID}); err != nil {
			return err
		}
		if maxLive > 0 {
			var id string
			if err := c.queryRow(ctx, qLockTokenOwner, []any{t.UserID}, &id); err != nil {
				return err
			}
			var n int
			if err := c.queryRow(ctx, qCountLiveTokens, []any{t.UserID, c.t(now)}, &n); err != nil {
				return err
			}
			if n >= maxLive {
				return store.ErrTooManyTokens
			}
		}
		if _, err := c.exec(ctx, qInsertToken, t.ID, t.UserID, t.Name, t.Hash, t.Prefix, strings.Join(t.Scopes, " "), c.nt(t.ExpiresAt),
			c.nt(t.LastUsedAt), c.t(now)); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "token.create", targetType: "token", targetID: t.ID,
			targetName: t.Name, after: snapshot(tokenFields(&t))})
	})
	if err != nil {
		return store.Token{}, err
	}
	return t, nil
}

func (c *conn) token(ctx context.Context, q statement, arg any) (store.Token, error) {
	return queryOne(ctx, c, q, scanToken, arg)
}

// GetToken returns the token with this id.
func (s *Store) GetToken(ctx context.Context, id string) (store.Token, error) {
	return s.read().token(ctx, qTokenByID, id)
}

// GetTokenByHash returns the token whose secret has this SHA-256.
func (s *Store) GetTokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	return s.read().token(ctx, qTokenByHash, hash)
}

// GetTokenAndOwner returns the token whose secret has this SHA-256 and
// what authorization needs of its user, with one statement.
func (s *Store) GetTokenAndOwner(ctx context.Context, hash []byte) (store.Token, store.TokenOwner, error) {
	if s.tx != nil {
		return s.tx.tokenAndOwner(ctx, hash)
	}
	start := time.Now()
	if t, o, ok := s.tokens.get(hash, start); ok {
		return t, o, nil
	}
	writes := s.tokens.begin()
	t, o, err := s.read().tokenAndOwner(ctx, hash)
	if err == nil {
		s.tokens.put(writes, start, t, o)
	}
	return t, o, err
}

func (c *conn) tokenAndOwner(ctx context.Context, hash []byte) (store.Token, store.TokenOwner, error) {
	var t store.Token
	var o store.TokenOwner
	var scopes string
	err := c.queryRow(ctx, qTokenAndOwner, []any{hash}, &t.ID, &t.UserID, &t.Name, &t.Prefix, &scopes,
		nullTimeCol{&t.ExpiresAt}, nullTimeCol{&t.LastUsedAt}, timeCol{&t.CreatedAt}, &o.Username, &o.IsAdmin, &o.Disabled)
	if err != nil {
		return store.Token{}, store.TokenOwner{}, err
	}
	t.Hash = slices.Clone(hash)
	t.Scopes = strings.Fields(scopes)
	o.ID = t.UserID
	return t, o, nil
}

// ListTokens returns tokens oldest first (by created_at, then id).
func (s *Store) ListTokens(ctx context.Context, f store.TokenFilter, p store.Page) ([]store.Token, string, error) {
	limit := pageLimit(p)
	c := s.read()
	b := &builder{d: s.d}
	if p.After != "" {
		key, err := decodeCursor(p.After)
		if err != nil {
			return nil, "", err
		}
		micros, id, ok := strings.Cut(key, ":")
		us, err := strconv.ParseInt(micros, 10, 64)
		if !ok || err != nil || id == "" {
			return nil, "", store.ErrInvalidCursor
		}
		at := c.t(time.UnixMicro(us))
		b.where("(created_at > " + b.arg(at) + " OR (created_at = " + b.arg(at) + " AND id > " + b.arg(id) + "))")
	}
	if f.UserID != "" {
		b.where("user_id = " + b.arg(f.UserID))
	}
	sql := "SELECT " + tokenCols + " FROM api_tokens" + b.whereClause() + " ORDER BY created_at, id LIMIT " + strconv.Itoa(limit+1)
	tokens, err := queryAll(ctx, c, b.statement(sql), scanToken, b.args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(tokens) > limit {
		tokens = tokens[:limit]
		last := tokens[limit-1]
		next = encodeCursor(strconv.FormatInt(last.CreatedAt.UnixMicro(), 10) + ":" + last.ID)
	}
	return tokens, next, nil
}

// DeleteToken revokes a token.
func (s *Store) DeleteToken(ctx context.Context, id string, m store.Meta) error {
	return s.write(ctx, func(c *conn) error {
		t, err := c.token(ctx, qTokenByID, id)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, qDeleteToken, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return store.ErrNotFound // revoked by someone else meanwhile
		}
		return c.audit(ctx, m, s.now(), event{action: "token.delete", targetType: "token", targetID: id,
			targetName: t.Name, before: snapshot(tokenFields(&t))})
	})
}

// TouchTokens records last use of several tokens in one transaction; a
// time older than the one stored and unknown ids are ignored.
func (s *Store) TouchTokens(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(lastUsed))
	for id := range lastUsed {
		ids = append(ids, id)
	}
	slices.Sort(ids) // one lock order on PostgreSQL
	return s.write(ctx, func(c *conn) error {
		for _, id := range ids {
			at := c.t(lastUsed[id])
			if _, err := c.exec(ctx, qTouchToken, at, id, at); err != nil {
				return err
			}
		}
		return nil
	})
}
