package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// The OIDC tables' unique keys (see dialect.go's maps).
func init() {
	postgresConstraints["oidc_clients_pkey"] = "oidc_clients.id"
	postgresConstraints["oidc_clients_name_key"] = "oidc_clients.name"
	postgresConstraints["oidc_auth_requests_pkey"] = "oidc_auth_requests.id"
	postgresConstraints["oidc_auth_requests_code_hash_key"] = "oidc_auth_requests.code_hash"
	postgresConstraints["oidc_access_tokens_pkey"] = "oidc_access_tokens.hash"
	postgresConstraints["oidc_refresh_tokens_pkey"] = "oidc_refresh_tokens.id"
	postgresConstraints["oidc_refresh_tokens_hash_key"] = "oidc_refresh_tokens.hash"
	postgresConstraints["oidc_keys_pkey"] = "oidc_keys.id"
	conflictFields["oidc_clients.id"] = "id"
	conflictFields["oidc_clients.name"] = "name"
	conflictFields["oidc_auth_requests.id"] = "id"
	conflictFields["oidc_auth_requests.code_hash"] = "code"
	conflictFields["oidc_access_tokens.hash"] = "token"
	conflictFields["oidc_refresh_tokens.id"] = "id"
	conflictFields["oidc_refresh_tokens.hash"] = "token"
	conflictFields["oidc_keys.id"] = "id"
}

var _ store.OIDCStore = (*Store)(nil)

// authRequestRetention is how long a redeemed or expired authorization
// request is kept, so that a replayed code is recognised (and the tokens
// issued from it revoked) rather than merely refused.
const authRequestRetention = time.Hour

const clientCols = `id, name, redirect_uris, post_logout_uris, public, grant_types, allowed_groups, skip_consent,
 access_token_ttl, id_token_ttl, refresh_token_ttl, logo_url, launch_url, secrets, created_at, updated_at, version, backchannel_logout_uri, access_token_format, attribute_claims`

const authReqCols = `id, client_id, params, user_id, session_id, auth_time, amr, done, code_hash, code_used_at, created_at, expires_at`

const redeemCode = `UPDATE oidc_auth_requests SET code_used_at = ?
 WHERE id = ? AND code_hash IS NOT NULL AND code_used_at IS NULL AND expires_at > ?`

// holderCols are the token holder's own columns (qTokenHolder), before
// its groups (holderGroups) and the user's; packedHolderCols counts them
// with the groups.
const (
	holderCols       = `t.client_id, t.user_id, t.scopes, t.audience, t.family_id, t.created_at, t.expires_at, c.attribute_claims`
	packedHolderCols = 9
	holderFrom       = ` FROM oidc_access_tokens t JOIN oidc_clients c ON c.id = t.client_id JOIN users ON users.id = t.user_id
 WHERE t.hash = ? AND t.expires_at > ?`
)

// The token holder's groups, with what claims are made of, as a JSON array
// of objects ("[]" when none): the second read userinfo made for a person
// in any group. The user row beside them leaves out its own group ids
// subquery (an empty list in its place): claimGroups' ids are the same,
// and fill User.GroupIDs.
var (
	sqliteUserRowNoGroups   = sqliteUserRow(`'[]'`)
	postgresUserRowNoGroups = qualifiedUserCols + `, '[]'`
)

const (
	sqliteHolderGroups = `(SELECT json_group_array(json_object('id', g.id, 'name', g.name, 'custom_claims', json(g.custom_claims)))
 FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = users.id)`
	postgresHolderGroups = `COALESCE((SELECT json_agg(json_build_object('id', g.id, 'name', g.name, 'custom_claims', g.custom_claims::json) ORDER BY g.id)
 FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = users.id)::text, '[]')`
)

const accessCols = `hash, client_id, user_id, scopes, audience, family_id, created_at, expires_at`

const refreshCols = `id, hash, family_id, client_id, user_id, scopes, audience, amr, auth_time, session_id,
 created_at, expires_at, rotated_at, revoked_at`

var (
	qInsertClient = stmt(`INSERT INTO oidc_clients (` + clientCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qClient       = stmt(`SELECT ` + clientCols + ` FROM oidc_clients WHERE id = ?`)
	qClientLock   = lockStmt(`SELECT ` + clientCols + ` FROM oidc_clients WHERE id = ?`)
	qClients      = stmt(`SELECT ` + clientCols + ` FROM oidc_clients ORDER BY name, id`)
	qUpdateClient = stmt(`UPDATE oidc_clients SET name = ?, redirect_uris = ?, post_logout_uris = ?, public = ?, grant_types = ?,
 allowed_groups = ?, skip_consent = ?, access_token_ttl = ?, id_token_ttl = ?, refresh_token_ttl = ?, logo_url = ?,
 launch_url = ?, secrets = ?, updated_at = ?, version = ?, backchannel_logout_uri = ?, access_token_format = ?, attribute_claims = ? WHERE id = ?`)
	qDeleteClient = stmt(`DELETE FROM oidc_clients WHERE id = ?`)

	qInsertAuthReq = stmt(`INSERT INTO oidc_auth_requests (` + authReqCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qAuthReq       = stmt(`SELECT ` + authReqCols + ` FROM oidc_auth_requests WHERE id = ? AND expires_at > ?`)
	qAuthReqByCode = stmt(`SELECT ` + authReqCols + ` FROM oidc_auth_requests WHERE code_hash = ?`)
	qCompleteAuth  = stmt(`UPDATE oidc_auth_requests SET user_id = ?, session_id = ?, auth_time = ?, amr = ?, done = ?
 WHERE id = ? AND expires_at > ? AND code_hash IS NULL`)
	qSaveCode = stmt(`UPDATE oidc_auth_requests SET code_hash = ?, expires_at = ?
 WHERE id = ? AND done = ? AND code_hash IS NULL`)
	qRedeemCode    = stmt(redeemCode)
	qDeleteAuthReq = stmt(`DELETE FROM oidc_auth_requests WHERE id = ? AND code_hash IS NULL`)

	// A code's redemption on PostgreSQL, in one statement (see
	// redeemInOne); SQLite has no UPDATE inside WITH, and there the three
	// statements cost no round trips.
	qRedeemWithAccess = postgresOnly(`WITH redeemed AS (` + redeemCode + ` RETURNING id)
 INSERT INTO oidc_access_tokens (` + accessCols + `) SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM redeemed`)
	qRedeemWithRefresh = postgresOnly(`WITH redeemed AS (` + redeemCode + ` RETURNING id),
 access AS (INSERT INTO oidc_access_tokens (` + accessCols + `) SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM redeemed RETURNING 1)
 INSERT INTO oidc_refresh_tokens (` + refreshCols + `) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM redeemed`)

	qInsertAccess = stmt(`INSERT INTO oidc_access_tokens (` + accessCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	qAccess       = stmt(`SELECT hash, client_id, user_id, scopes, audience, family_id, created_at, expires_at
 FROM oidc_access_tokens WHERE hash = ? AND expires_at > ?`)
	// The token's holder, read in one statement: userinfo's whole read. On
	// SQLite the row is one value, as a user row is (see userrow.go).
	qTokenHolder = dialectStmt(
		`SELECT concat_ws(x'ff', `+holderCols+`, `+sqliteHolderGroups+`, `+sqliteUserRowNoGroups+`)`+holderFrom,
		`SELECT `+holderCols+`, `+postgresHolderGroups+`, `+postgresUserRowNoGroups+holderFrom)
	// A person with their groups' claims: a code exchange's or refresh's
	// one read of the person.
	qUserForClaims = dialectStmt(
		`SELECT concat_ws(x'ff', `+sqliteHolderGroups+`, `+sqliteUserRowNoGroups+`) FROM users WHERE id = ?`,
		`SELECT `+postgresHolderGroups+`, `+postgresUserRowNoGroups+` FROM users WHERE id = ?`)
	qDeleteAccess       = stmt(`DELETE FROM oidc_access_tokens WHERE hash = ? RETURNING client_id, user_id`)
	qDeleteFamilyAccess = stmt(`DELETE FROM oidc_access_tokens WHERE family_id = ?`)

	qInsertRefresh = stmt(`INSERT INTO oidc_refresh_tokens (` + refreshCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qRefresh       = stmt(`SELECT ` + refreshCols + ` FROM oidc_refresh_tokens WHERE hash = ?`)
	qRotateRefresh = stmt(`UPDATE oidc_refresh_tokens SET rotated_at = ?
 WHERE hash = ? AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?`)
	qRevokeFamily = stmt(`UPDATE oidc_refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`)
	qFamilyOwner  = stmt(`SELECT client_id, user_id FROM oidc_refresh_tokens WHERE family_id = ? LIMIT 1`)

	qKeys      = stmt(`SELECT id, key_use, algorithm, private_key, created_at, retired_at FROM oidc_keys ORDER BY created_at DESC, id DESC`)
	qInsertKey = stmt(`INSERT INTO oidc_keys (id, key_use, algorithm, private_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)
 ON CONFLICT (id) DO NOTHING`)
	qKey = stmt(`SELECT id, key_use, algorithm, private_key, created_at, retired_at FROM oidc_keys WHERE id = ?`)

	qConsent       = stmt(`SELECT user_id, client_id, scopes, created_at, updated_at FROM oidc_consents WHERE user_id = ? AND client_id = ?`)
	qInsertConsent = stmt(`INSERT INTO oidc_consents (user_id, client_id, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
 ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`)
	qDeleteConsent = stmt(`DELETE FROM oidc_consents WHERE user_id = ? AND client_id = ?`)

	qExpireAuthReqs = stmt(`DELETE FROM oidc_auth_requests WHERE expires_at <= ?`)
	qExpireAccess   = stmt(`DELETE FROM oidc_access_tokens WHERE expires_at <= ?`)
	qExpireRefresh  = stmt(`DELETE FROM oidc_refresh_tokens WHERE expires_at <= ?`)
)

// strList is a JSON array of strings in a text column; it scans to a
// never-nil slice.
type strList struct{ s *[]string }

func (x strList) Scan(v any) error {
	b, err := textBytes(v, "a list")
	if err != nil {
		return err
	}
	out := []string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("sqlstore: stored list is not a JSON array of strings: %w", err)
		}
	}
	if out == nil {
		out = []string{}
	}
	*x.s = out
	return nil
}

func encodeList(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // strings always encode
	return string(b)
}

// stampSecrets dates the secrets a change adds (those without a time) with
// the time of the change, as the store dates everything else it writes.
func stampSecrets(cl *store.OIDCClient, now time.Time) {
	for i := range cl.Secrets {
		if cl.Secrets[i].CreatedAt.IsZero() {
			cl.Secrets[i].CreatedAt = now.UTC().Truncate(time.Microsecond)
		}
	}
}

// storedSecret is how a client secret is kept in the secrets column.
type storedSecret struct {
	ID        string    `json:"id"`
	Hash      []byte    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
}

func encodeSecrets(ss []store.OIDCClientSecret) string {
	out := make([]storedSecret, len(ss))
	for i, s := range ss {
		out[i] = storedSecret{s.ID, s.Hash, s.CreatedAt}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

type secretsCol struct{ s *[]store.OIDCClientSecret }

func (x secretsCol) Scan(v any) error {
	b, err := textBytes(v, "client secrets")
	if err != nil {
		return err
	}
	var in []storedSecret
	if len(b) > 0 {
		if err := json.Unmarshal(b, &in); err != nil {
			return fmt.Errorf("sqlstore: stored client secrets are not valid: %w", err)
		}
	}
	out := make([]store.OIDCClientSecret, len(in))
	for i, s := range in {
		out[i] = store.OIDCClientSecret{ID: s.ID, Hash: s.Hash, CreatedAt: s.CreatedAt.UTC()}
	}
	*x.s = out
	return nil
}

func scanClient(row interface{ Scan(...any) error }) (store.OIDCClient, error) {
	var c store.OIDCClient
	var at, it, rt int64
	err := row.Scan(&c.ID, &c.Name, strList{&c.RedirectURIs}, strList{&c.PostLogoutRedirectURIs}, &c.Public,
		strList{&c.GrantTypes}, strList{&c.AllowedGroupIDs}, &c.SkipConsent, &at, &it, &rt, &c.LogoURL, &c.LaunchURL,
		secretsCol{&c.Secrets}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.Version, &c.BackchannelLogoutURI, &c.AccessTokenFormat, attrCol{&c.AttributeClaims})
	c.AccessTokenTTL, c.IDTokenTTL, c.RefreshTokenTTL = time.Duration(at)*time.Second, time.Duration(it)*time.Second, time.Duration(rt)*time.Second
	return c, err
}

func (c *conn) clients(ctx context.Context, q statement, args ...any) ([]store.OIDCClient, error) {
	out, err := queryAll(ctx, c, q, scanClient, args...)
	return out, err
}

func (c *conn) client(ctx context.Context, q statement, id string) (store.OIDCClient, error) {
	cs, err := c.clients(ctx, q, id)
	if err != nil {
		return store.OIDCClient{}, err
	}
	if len(cs) == 0 {
		return store.OIDCClient{}, store.ErrNotFound
	}
	return cs[0], nil
}

// normClient makes a client's lists never nil, sorted where order carries
// no meaning, and its lifetimes whole seconds (as stored).
func normClient(cl *store.OIDCClient) {
	nn := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return slices.Clone(s)
	}
	cl.RedirectURIs = nn(cl.RedirectURIs)
	cl.PostLogoutRedirectURIs = nn(cl.PostLogoutRedirectURIs)
	cl.GrantTypes = nn(cl.GrantTypes)
	cl.AllowedGroupIDs = normIDs(cl.AllowedGroupIDs)
	if cl.AccessTokenFormat == "" {
		cl.AccessTokenFormat = "opaque"
	}
	cl.AttributeClaims = maps.Clone(cl.AttributeClaims)
	if cl.AttributeClaims == nil {
		cl.AttributeClaims = map[string]string{}
	}
	cl.AccessTokenTTL = cl.AccessTokenTTL.Truncate(time.Second)
	cl.IDTokenTTL = cl.IDTokenTTL.Truncate(time.Second)
	cl.RefreshTokenTTL = cl.RefreshTokenTTL.Truncate(time.Second)
	ss := make([]store.OIDCClientSecret, 0, len(cl.Secrets))
	for _, s := range cl.Secrets {
		s.ID = newID(s.ID)
		s.Hash = slices.Clone(s.Hash)
		s.CreatedAt = s.CreatedAt.UTC().Truncate(time.Microsecond)
		ss = append(ss, s)
	}
	cl.Secrets = ss
}

// clientFields are what the audit log records of a client: the secrets
// only by id, never their hashes.
func clientFields(cl *store.OIDCClient) []field {
	secretIDs := make([]string, len(cl.Secrets))
	for i, s := range cl.Secrets {
		secretIDs[i] = s.ID
	}
	return []field{
		{"name", cl.Name}, {"redirect-uris", cl.RedirectURIs}, {"post-logout-redirect-uris", cl.PostLogoutRedirectURIs},
		{"public", cl.Public}, {"grant-types", cl.GrantTypes}, {"allowed-groups", cl.AllowedGroupIDs},
		{"skip-consent", cl.SkipConsent}, {"access-token-lifetime", int64(cl.AccessTokenTTL / time.Second)},
		{"id-token-lifetime", int64(cl.IDTokenTTL / time.Second)}, {"refresh-token-lifetime", int64(cl.RefreshTokenTTL / time.Second)},
		{"logo-url", opt(cl.LogoURL)}, {"launch-url", opt(cl.LaunchURL)}, {"backchannel-logout-uri", opt(cl.BackchannelLogoutURI)},
		{"access-token-format", cl.AccessTokenFormat}, {"attribute-claims", cl.AttributeClaims}, {"secret-ids", secretIDs},
	}
}

func (c *conn) writeClient(ctx context.Context, q statement, cl *store.OIDCClient) error {
	if len(cl.Secrets) > store.MaxOIDCClientSecrets {
		return fmt.Errorf("sqlstore: a client holds at most %d secrets, not %d", store.MaxOIDCClientSecrets, len(cl.Secrets))
	}
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	if q == qInsertClient {
		_, err := c.exec(ctx, q, cl.ID, cl.Name, encodeList(cl.RedirectURIs), encodeList(cl.PostLogoutRedirectURIs), cl.Public,
			encodeList(cl.GrantTypes), encodeList(cl.AllowedGroupIDs), cl.SkipConsent, secs(cl.AccessTokenTTL), secs(cl.IDTokenTTL),
			secs(cl.RefreshTokenTTL), cl.LogoURL, cl.LaunchURL, encodeSecrets(cl.Secrets), c.t(cl.CreatedAt), c.t(cl.UpdatedAt), cl.Version,
			cl.BackchannelLogoutURI, cl.AccessTokenFormat, encodeAttrs(cl.AttributeClaims))
		return err
	}
	_, err := c.exec(ctx, q, cl.Name, encodeList(cl.RedirectURIs), encodeList(cl.PostLogoutRedirectURIs), cl.Public,
		encodeList(cl.GrantTypes), encodeList(cl.AllowedGroupIDs), cl.SkipConsent, secs(cl.AccessTokenTTL), secs(cl.IDTokenTTL),
		secs(cl.RefreshTokenTTL), cl.LogoURL, cl.LaunchURL, encodeSecrets(cl.Secrets), c.t(cl.UpdatedAt), cl.Version,
		cl.BackchannelLogoutURI, cl.AccessTokenFormat, encodeAttrs(cl.AttributeClaims), cl.ID)
	return err
}

// CreateOIDCClient stores a client; see store.OIDCStore.
func (s *Store) CreateOIDCClient(ctx context.Context, cl store.OIDCClient, m store.Meta) (store.OIDCClient, error) {
	now := s.now()
	cl.ID = newID(cl.ID)
	normClient(&cl)
	stampSecrets(&cl, now)
	cl.CreatedAt, cl.UpdatedAt, cl.Version = now, now, 1
	err := s.write(ctx, func(c *conn) error {
		if err := c.writeClient(ctx, qInsertClient, &cl); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "oidc_client.create", targetType: "oidc-client", targetID: cl.ID,
			targetName: cl.Name, after: snapshot(clientFields(&cl))})
	})
	if err != nil {
		return store.OIDCClient{}, err
	}
	return cl, nil
}

// GetOIDCClient returns a client by id.
func (s *Store) GetOIDCClient(ctx context.Context, id string) (store.OIDCClient, error) {
	return s.read().client(ctx, qClient, id)
}

// ListOIDCClients returns every client by name.
func (s *Store) ListOIDCClients(ctx context.Context) ([]store.OIDCClient, error) {
	return s.read().clients(ctx, qClients)
}

// UpdateOIDCClient changes a client; see store.OIDCStore.
func (s *Store) UpdateOIDCClient(ctx context.Context, id string, ifVersion int64, mutate func(*store.OIDCClient) error, m store.Meta) (store.OIDCClient, error) {
	var out store.OIDCClient
	err := s.write(ctx, func(c *conn) error {
		old, err := c.client(ctx, qClientLock, id)
		if err != nil {
			return err
		}
		if ifVersion > 0 && old.Version != ifVersion {
			return store.ErrPreconditionFailed
		}
		cl := old
		normClient(&cl) // fresh copies of the lists for mutate
		if err := mutate(&cl); err != nil {
			return err
		}
		cl.ID, cl.Version, cl.CreatedAt, cl.UpdatedAt = old.ID, old.Version, old.CreatedAt, old.UpdatedAt
		normClient(&cl)
		before, after := diff(clientFields(&old), clientFields(&cl))
		if after == nil {
			out = old
			return nil
		}
		now := s.now()
		stampSecrets(&cl, now)
		cl.Version, cl.UpdatedAt = old.Version+1, now
		if err := c.writeClient(ctx, qUpdateClient, &cl); err != nil {
			return err
		}
		out = cl
		return c.audit(ctx, m, now, event{action: "oidc_client.update", targetType: "oidc-client", targetID: cl.ID,
			targetName: cl.Name, before: before, after: after})
	})
	if err != nil {
		return store.OIDCClient{}, err
	}
	return out, nil
}

// DeleteOIDCClient removes a client and, by cascade, its requests, tokens
// and consents.
func (s *Store) DeleteOIDCClient(ctx context.Context, id string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		old, err := c.client(ctx, qClientLock, id)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, qDeleteClient, id); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "oidc_client.delete", targetType: "oidc-client", targetID: id,
			targetName: old.Name, before: snapshot(clientFields(&old))})
	})
}

func scanAuthReq(row interface{ Scan(...any) error }) (store.OIDCAuthRequest, error) {
	var r store.OIDCAuthRequest
	var params string
	var authTime *time.Time
	err := row.Scan(&r.ID, &r.ClientID, &params, &r.UserID, &r.SessionID, nullTimeCol{&authTime}, strList{&r.AMR}, &r.Done,
		&r.CodeHash, nullTimeCol{&r.CodeUsedAt}, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt})
	r.Params = []byte(params)
	if authTime != nil {
		r.AuthTime = *authTime
	}
	return r, err
}

func (c *conn) authReq(ctx context.Context, q statement, args ...any) (store.OIDCAuthRequest, error) {
	return queryOne(ctx, c, q, scanAuthReq, args...)
}

// CreateOIDCAuthRequest stores a request from the authorize endpoint.
func (s *Store) CreateOIDCAuthRequest(ctx context.Context, r store.OIDCAuthRequest) (store.OIDCAuthRequest, error) {
	now := s.now()
	r.ID = newID(r.ID)
	r.CreatedAt = now
	r.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Microsecond)
	r.UserID, r.SessionID, r.AuthTime, r.AMR, r.Done, r.CodeHash, r.CodeUsedAt = "", "", time.Time{}, []string{}, false, nil, nil
	err := s.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, qInsertAuthReq, r.ID, r.ClientID, string(r.Params), "", "", nil, "[]", false, nil, nil,
			c.t(r.CreatedAt), c.t(r.ExpiresAt))
		if c.d.isForeignKey(err) || errors.Is(err, store.ErrInvalidReference) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.OIDCAuthRequest{}, err
	}
	return r, nil
}

// GetOIDCAuthRequest returns an unexpired request.
func (s *Store) GetOIDCAuthRequest(ctx context.Context, id string, now time.Time) (store.OIDCAuthRequest, error) {
	c := s.read()
	return c.authReq(ctx, qAuthReq, id, c.t(now))
}

// CompleteOIDCAuthRequest records the sign-in for a request and audits it.
func (s *Store) CompleteOIDCAuthRequest(ctx context.Context, id string, d store.OIDCAuthDone, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		r, err := c.authReq(ctx, qAuthReq, id, c.t(now))
		if err != nil {
			return err
		}
		uname, err := c.username(ctx, d.UserID)
		if err != nil {
			return err
		}
		cl, err := c.client(ctx, qClient, r.ClientID)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, qCompleteAuth, d.UserID, d.SessionID, c.t(d.AuthTime), encodeList(d.AMR), true, id, c.t(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return store.ErrNotFound
		}
		if err := c.holdSession(ctx, cl.ID, d, now); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "oidc.signin", targetType: "user", targetID: d.UserID, targetName: uname,
			after: snapshot([]field{{"client-id", cl.ID}, {"client-name", cl.Name}, {"session-id", opt(d.SessionID)}})})
	})
}

// SaveOIDCAuthCode stores the hash of a completed request's code.
func (s *Store) SaveOIDCAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error {
	return s.write(ctx, func(c *conn) error {
		res, err := c.exec(ctx, qSaveCode, codeHash, c.t(expiresAt), id, true)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
}

// GetOIDCAuthRequestByCode finds a request by its code; see store.OIDCStore.
func (s *Store) GetOIDCAuthRequestByCode(ctx context.Context, codeHash []byte, now time.Time, m store.Meta) (store.OIDCAuthRequest, error) {
	r, err := s.read().authReq(ctx, qAuthReqByCode, codeHash)
	if err != nil {
		return store.OIDCAuthRequest{}, err
	}
	if r.CodeUsedAt != nil {
		if err := s.RevokeOIDCFamily(ctx, r.ID, "authorization code used twice", m); err != nil {
			return store.OIDCAuthRequest{}, err
		}
		return store.OIDCAuthRequest{}, store.ErrOIDCCodeUsed
	}
	if !now.Before(r.ExpiresAt) {
		return store.OIDCAuthRequest{}, store.ErrNotFound
	}
	return r, nil
}

// DeleteOIDCAuthRequest forgets a request without a code.
func (s *Store) DeleteOIDCAuthRequest(ctx context.Context, id string) error {
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, qDeleteAuthReq, id)
		return err
	})
}

func (c *conn) insertAccess(ctx context.Context, t *store.OIDCAccessToken) error {
	_, err := c.exec(ctx, qInsertAccess, t.Hash, t.ClientID, t.UserID, encodeList(t.Scopes), encodeList(t.Audience), t.FamilyID,
		c.t(t.CreatedAt), c.t(t.ExpiresAt))
	return err
}

// errReuse carries a detected reuse out of the transaction that found it,
// so the revocation runs in a transaction of its own that commits.
type errReuse struct {
	family, reason string
	err            error
}

func (e *errReuse) Error() string { return e.reason }

// CreateOIDCTokens stores a grant; see store.OIDCTokenGrant.
func (s *Store) CreateOIDCTokens(ctx context.Context, g store.OIDCTokenGrant, m store.Meta) error {
	now := s.now()
	g.Access.CreatedAt = now
	g.Access.ExpiresAt = g.Access.ExpiresAt.UTC().Truncate(time.Microsecond)
	if g.RedeemCode != "" && g.RotateRefresh == nil && s.d == postgresDialect && s.tx == nil {
		done, err := s.redeemInOne(ctx, &g, now)
		if done || err != nil {
			return err
		}
		// Not redeemed: the transaction below finds out why (expired, or
		// a replay whose tokens it revokes).
	}
	err := s.write(ctx, func(c *conn) error {
		if g.RedeemCode != "" {
			res, err := c.exec(ctx, qRedeemCode, c.t(now), g.RedeemCode, c.t(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				r, err := c.authReq(ctx, qAuthReqByID, g.RedeemCode)
				if err != nil {
					return err
				}
				if r.CodeUsedAt == nil { // expired, or never given a code
					return store.ErrNotFound
				}
				return &errReuse{family: g.RedeemCode, reason: "authorization code used twice", err: store.ErrOIDCCodeUsed}
			}
		}
		if g.RotateRefresh != nil {
			res, err := c.exec(ctx, qRotateRefresh, c.t(now), g.RotateRefresh, c.t(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				var old store.OIDCRefreshToken
				rows, err := c.query(ctx, qRefresh, g.RotateRefresh)
				if err != nil {
					return err
				}
				found := rows.Next()
				if found {
					old, err = scanRefresh(rows)
				}
				rows.Close()
				if err != nil {
					return err
				}
				if !found || old.RotatedAt == nil || old.RevokedAt != nil { // expired or revoked
					return store.ErrNotFound
				}
				return &errReuse{family: old.FamilyID, reason: "refresh token reused", err: store.ErrOIDCRefreshReused}
			}
		}
		if err := c.insertAccess(ctx, &g.Access); err != nil {
			return err
		}
		if r := g.Refresh; r != nil {
			_, err := c.exec(ctx, qInsertRefresh, refreshArgs(c, r, now)...)
			if err != nil {
				return err
			}
		}
		return nil
	})
	var re *errReuse
	if errors.As(err, &re) {
		if err := s.RevokeOIDCFamily(ctx, re.family, re.reason, m); err != nil {
			return err
		}
		return re.err
	}
	return err
}

// redeemInOne redeems a code and stores its tokens with one statement on
// PostgreSQL: a code exchange's write was four round trips (BEGIN, mark
// the code used, insert the access token, COMMIT), each costing the server
// and the database CPU. done is false when the code was not redeemed
// (nothing is written then).
func (s *Store) redeemInOne(ctx context.Context, g *store.OIDCTokenGrant, now time.Time) (done bool, err error) {
	c := s.read() // PostgreSQL reads and writes on one pool; one statement commits alone
	a := &g.Access
	args := []any{c.t(now), g.RedeemCode, c.t(now),
		a.Hash, a.ClientID, a.UserID, encodeList(a.Scopes), encodeList(a.Audience), a.FamilyID, c.t(a.CreatedAt), c.t(a.ExpiresAt)}
	q := qRedeemWithAccess
	if g.Refresh != nil {
		q = qRedeemWithRefresh
		args = append(args, refreshArgs(c, g.Refresh, now)...)
	}
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// refreshArgs gives a new refresh token its id and creation time and
// returns qInsertRefresh's arguments.
func refreshArgs(c *conn, r *store.OIDCRefreshToken, now time.Time) []any {
	r.ID = newID(r.ID)
	r.CreatedAt = now
	return []any{r.ID, r.Hash, r.FamilyID, r.ClientID, r.UserID, encodeList(r.Scopes),
		encodeList(r.Audience), encodeList(r.AMR), c.t(r.AuthTime), r.SessionID, c.t(now), c.t(r.ExpiresAt), nil, nil}
}

func scanAccess(row interface{ Scan(...any) error }) (store.OIDCAccessToken, error) {
	var t store.OIDCAccessToken
	err := row.Scan(&t.Hash, &t.ClientID, &t.UserID, strList{&t.Scopes}, strList{&t.Audience}, &t.FamilyID,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt})
	return t, err
}

// GetOIDCAccessToken returns an unexpired access token.
func (s *Store) GetOIDCAccessToken(ctx context.Context, hash []byte, now time.Time) (store.OIDCAccessToken, error) {
	c := s.read()
	return queryOne(ctx, c, qAccess, scanAccess, hash, c.t(now))
}

// GetOIDCTokenHolder returns a person's unexpired access token with the
// person and the client's attribute claims; see store.OIDCStore.
func (s *Store) GetOIDCTokenHolder(ctx context.Context, hash []byte, now time.Time) (store.OIDCTokenHolder, error) {
	c := s.read()
	return queryOne(ctx, c, qTokenHolder, func(row interface{ Scan(...any) error }) (store.OIDCTokenHolder, error) {
		var h store.OIDCTokenHolder
		t := &h.Token
		t.Hash = hash
		dest := []any{&t.ClientID, &t.UserID, strList{&t.Scopes}, strList{&t.Audience}, &t.FamilyID,
			timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, attrCol{&h.AttributeClaims}, claimGroups{&h.Groups}}
		err := scanWithUser(c, row, dest, &h.User, "token holder")
		withGroupIDs(&h.User, h.Groups)
		return h, err
	}, hash, c.t(now))
}

// GetUserForClaims returns a user with their groups' claims; see
// store.OIDCStore.
func (s *Store) GetUserForClaims(ctx context.Context, id string) (store.User, []store.Group, error) {
	type person struct {
		u  store.User
		gs []store.Group
	}
	c := s.read()
	p, err := queryOne(ctx, c, qUserForClaims, func(row interface{ Scan(...any) error }) (person, error) {
		var p person
		dest := []any{claimGroups{&p.gs}}
		err := scanWithUser(c, row, dest, &p.u, "user")
		withGroupIDs(&p.u, p.gs)
		return p, err
	}, id)
	return p.u, p.gs, err
}

// scanWithUser scans a row of the columns dest, then a user's: packed in
// one value on SQLite (packedWithUser), one column each on PostgreSQL.
func scanWithUser(c *conn, row interface{ Scan(...any) error }, dest []any, u *store.User, what string) error {
	if c.d.packedUsers {
		return row.Scan(packedWithUser{dest, u, what})
	}
	return row.Scan(append(dest, c.d.userScan(u)...)...)
}

// packedWithUser scans a packed value on SQLite (see userrow.go): columns
// into dest, then the user.
type packedWithUser struct {
	dest []any
	u    *store.User
	what string // for errors
}

func (x packedWithUser) Scan(v any) error {
	var buf [packedHolderCols + packedUserCols]string
	parts := buf[:len(x.dest)+packedUserCols]
	if err := splitPacked(v, parts, x.what); err != nil {
		return err
	}
	for i, d := range x.dest {
		var err error
		switch d := d.(type) {
		case *string:
			*d = parts[i]
		case timeCol:
			var n int64
			if n, err = strconv.ParseInt(parts[i], 10, 64); err == nil {
				err = d.Scan(n)
			}
		case interface{ Scan(any) error }:
			err = d.Scan(parts[i])
		}
		if err != nil {
			return fmt.Errorf("sqlstore: value %d of a stored %s row: %w", i+1, x.what, err)
		}
	}
	return readPackedUser(parts[len(x.dest):], x.u)
}

// claimGroups scans holderGroups' JSON array into groups with ID, Name
// and CustomClaims, in id order.
type claimGroups struct{ gs *[]store.Group }

// withGroupIDs sets u's group ids from its groups (claimGroups), for the
// user rows read without them.
func withGroupIDs(u *store.User, gs []store.Group) {
	u.GroupIDs = make([]string, len(gs))
	for i, g := range gs {
		u.GroupIDs[i] = g.ID
	}
}

func (x claimGroups) Scan(v any) error {
	b, err := textBytes(v, "the groups of a token holder")
	if err != nil {
		return err
	}
	var rows []struct {
		ID           string                     `json:"id"`
		Name         string                     `json:"name"`
		CustomClaims map[string]json.RawMessage `json:"custom_claims"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		return fmt.Errorf("sqlstore: the groups of a token holder are not a JSON array: %w", err)
	}
	gs := make([]store.Group, len(rows))
	for i, r := range rows {
		if r.CustomClaims == nil {
			r.CustomClaims = map[string]json.RawMessage{}
		}
		gs[i] = store.Group{ID: r.ID, Name: r.Name, CustomClaims: r.CustomClaims}
	}
	// SQLite's aggregate follows whichever loop its planner chose.
	slices.SortFunc(gs, func(a, b store.Group) int { return strings.Compare(a.ID, b.ID) })
	*x.gs = gs
	return nil
}

func scanRefresh(row interface{ Scan(...any) error }) (store.OIDCRefreshToken, error) {
	var r store.OIDCRefreshToken
	err := row.Scan(&r.ID, &r.Hash, &r.FamilyID, &r.ClientID, &r.UserID, strList{&r.Scopes}, strList{&r.Audience},
		strList{&r.AMR}, timeCol{&r.AuthTime}, &r.SessionID, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt},
		nullTimeCol{&r.RotatedAt}, nullTimeCol{&r.RevokedAt})
	return r, err
}

// GetOIDCRefreshToken returns a usable refresh token; see store.OIDCStore.
func (s *Store) GetOIDCRefreshToken(ctx context.Context, hash []byte, now time.Time, m store.Meta) (store.OIDCRefreshToken, error) {
	c := s.read()
	r, err := queryOne(ctx, c, qRefresh, scanRefresh, hash)
	switch {
	case err != nil:
		return store.OIDCRefreshToken{}, err
	case r.RevokedAt != nil || !now.Before(r.ExpiresAt):
		return store.OIDCRefreshToken{}, store.ErrNotFound
	case r.RotatedAt != nil:
		if err := s.RevokeOIDCFamily(ctx, r.FamilyID, "refresh token reused", m); err != nil {
			return store.OIDCRefreshToken{}, err
		}
		return store.OIDCRefreshToken{}, store.ErrOIDCRefreshReused
	}
	return r, nil
}

// RevokeOIDCAccessToken deletes one access token and audits oidc.revoke.
func (s *Store) RevokeOIDCAccessToken(ctx context.Context, hash []byte, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		var clientID, userID string
		if err := c.queryRow(ctx, qDeleteAccess, []any{hash}, &clientID, &userID); err != nil {
			return err
		}
		uname, err := c.username(ctx, userID)
		if err != nil && !errors.Is(err, store.ErrInvalidReference) {
			return err
		}
		return c.audit(ctx, m, now, event{action: "oidc.revoke", targetType: "user", targetID: userID, targetName: uname,
			after: snapshot([]field{{"client-id", clientID}, {"token", "access"}})})
	})
}

// RevokeOIDCFamily revokes a family's tokens and audits it. The action is
// oidc.refresh_reuse or oidc.code_reuse when the reason is a reuse, so
// that an administrator can look for those alone.
func (s *Store) RevokeOIDCFamily(ctx context.Context, familyID, reason string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		if _, err := c.exec(ctx, qDeleteFamilyAccess, familyID); err != nil {
			return err
		}
		res, err := c.exec(ctx, qRevokeFamily, c.t(now), familyID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		var clientID, userID string
		err = c.queryRow(ctx, qFamilyOwner, []any{familyID}, &clientID, &userID)
		if errors.Is(err, store.ErrNotFound) {
			r, rerr := c.authReq(ctx, qAuthReqByID, familyID)
			if rerr == nil {
				clientID, userID = r.ClientID, r.UserID
			}
		} else if err != nil {
			return err
		}
		uname := ""
		if userID != "" {
			if uname, err = c.username(ctx, userID); err != nil && !errors.Is(err, store.ErrInvalidReference) {
				return err
			}
		}
		action := "oidc.revoke"
		switch reason {
		case "refresh token reused":
			action = "oidc.refresh_reuse"
		case "authorization code used twice":
			action = "oidc.code_reuse"
		}
		return c.audit(ctx, m, now, event{action: action, targetType: "user", targetID: userID, targetName: uname,
			after: snapshot([]field{{"client-id", clientID}, {"family-id", familyID}, {"reason", reason},
				{"refresh-tokens-revoked", n}})})
	})
}

var qAuthReqByID = stmt(`SELECT ` + authReqCols + ` FROM oidc_auth_requests WHERE id = ?`)

func scanKey(row interface{ Scan(...any) error }) (store.OIDCKey, error) {
	var k store.OIDCKey
	err := row.Scan(&k.ID, &k.Use, &k.Algorithm, &k.PrivateKey, timeCol{&k.CreatedAt}, nullTimeCol{&k.RetiredAt})
	return k, err
}

// OIDCKeys returns every key, newest first.
func (s *Store) OIDCKeys(ctx context.Context) ([]store.OIDCKey, error) {
	out, err := queryAll(ctx, s.read(), qKeys, scanKey)
	return out, err
}

// CreateOIDCKey stores k unless its id exists, and returns the stored key.
func (s *Store) CreateOIDCKey(ctx context.Context, k store.OIDCKey) (store.OIDCKey, error) {
	now := s.now()
	var out store.OIDCKey
	err := s.write(ctx, func(c *conn) error {
		if _, err := c.exec(ctx, qInsertKey, k.ID, k.Use, k.Algorithm, k.PrivateKey, c.t(now), c.nt(k.RetiredAt)); err != nil {
			return err
		}
		var err error
		out, err = queryOne(ctx, c, qKey, scanKey, k.ID)
		return err
	})
	return out, err
}

var qRetireKeys = stmt(`UPDATE oidc_keys SET retired_at = ? WHERE key_use = ? AND retired_at IS NULL`)

// RotateOIDCSigningKey stores a new signing key and retires the others.
func (s *Store) RotateOIDCSigningKey(ctx context.Context, k store.OIDCKey, m store.Meta) (store.OIDCKey, error) {
	now := s.now()
	k.Use, k.CreatedAt, k.RetiredAt = "sig", now, nil
	k.ID = newID(k.ID)
	err := s.write(ctx, func(c *conn) error {
		res, err := c.exec(ctx, qRetireKeys, c.t(now), "sig")
		if err != nil {
			return err
		}
		retired, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, qInsertKey, k.ID, k.Use, k.Algorithm, k.PrivateKey, c.t(now), nil); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "oidc.key_rotate", targetType: "oidc-key", targetID: k.ID, targetName: k.ID,
			after: snapshot([]field{{"algorithm", k.Algorithm}, {"keys-retired", retired}})})
	})
	if err != nil {
		return store.OIDCKey{}, err
	}
	return k, nil
}

// GetOIDCConsent returns a person's consent for a client.
func (s *Store) GetOIDCConsent(ctx context.Context, userID, clientID string) (store.OIDCConsent, error) {
	var co store.OIDCConsent
	err := s.read().queryRow(ctx, qConsent, []any{userID, clientID}, &co.UserID, &co.ClientID, strList{&co.Scopes},
		timeCol{&co.CreatedAt}, timeCol{&co.UpdatedAt})
	return co, err
}

// SaveOIDCConsent records a consent and audits oidc.consent.
func (s *Store) SaveOIDCConsent(ctx context.Context, co store.OIDCConsent, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, co.UserID)
		if err != nil {
			return err
		}
		cl, err := c.client(ctx, qClient, co.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			return &store.ReferenceError{Kind: "oidc-client", IDs: []string{co.ClientID}}
		} else if err != nil {
			return err
		}
		scopes := normIDs(co.Scopes)
		if _, err := c.exec(ctx, qInsertConsent, co.UserID, co.ClientID, encodeList(scopes), c.t(now), c.t(now)); err != nil {
			return err
		}
		return c.audit(ctx, m, now, event{action: "oidc.consent", targetType: "user", targetID: co.UserID, targetName: uname,
			after: snapshot([]field{{"client-id", cl.ID}, {"client-name", cl.Name}, {"scopes", scopes}})})
	})
}

// DeleteOIDCConsent withdraws a consent and audits oidc.consent_revoke.
func (s *Store) DeleteOIDCConsent(ctx context.Context, userID, clientID string, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, qDeleteConsent, userID, clientID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return c.audit(ctx, m, now, event{action: "oidc.consent_revoke", targetType: "user", targetID: userID, targetName: uname,
			after: snapshot([]field{{"client-id", clientID}})})
	})
}

var (
	qConsentsOf        = stmt(`SELECT user_id, client_id, scopes, created_at, updated_at FROM oidc_consents WHERE user_id = ? ORDER BY updated_at DESC, client_id`)
	qDeleteUserAccess  = stmt(`DELETE FROM oidc_access_tokens WHERE user_id = ? AND client_id = ?`)
	qRevokeUserRefresh = stmt(`UPDATE oidc_refresh_tokens SET revoked_at = ? WHERE user_id = ? AND client_id = ? AND revoked_at IS NULL`)
)

// ListOIDCConsents returns a person's consents, most recent first.
func (s *Store) ListOIDCConsents(ctx context.Context, userID string) ([]store.OIDCConsent, error) {
	rows, err := s.read().query(ctx, qConsentsOf, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.OIDCConsent{}
	for rows.Next() {
		var co store.OIDCConsent
		if err := rows.Scan(&co.UserID, &co.ClientID, strList{&co.Scopes}, timeCol{&co.CreatedAt}, timeCol{&co.UpdatedAt}); err != nil {
			return nil, err
		}
		out = append(out, co)
	}
	return out, rows.Err()
}

// RevokeOIDCUserTokens revokes a person's tokens for a client.
func (s *Store) RevokeOIDCUserTokens(ctx context.Context, userID, clientID, reason string, m store.Meta) (int, error) {
	now := s.now()
	n := 0
	err := s.write(ctx, func(c *conn) error {
		uname, err := c.username(ctx, userID)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, qDeleteUserAccess, userID, clientID)
		if err != nil {
			return err
		}
		a, err := res.RowsAffected()
		if err != nil {
			return err
		}
		res, err = c.exec(ctx, qRevokeUserRefresh, c.t(now), userID, clientID)
		if err != nil {
			return err
		}
		r, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(a + r)
		return c.audit(ctx, m, now, event{action: "oidc.revoke", targetType: "user", targetID: userID, targetName: uname,
			after: snapshot([]field{{"client-id", clientID}, {"reason", reason}, {"tokens-revoked", n}})})
	})
	return n, err
}

// DeleteExpiredOIDC removes expired tokens, and requests expired for
// longer than authRequestRetention.
func (s *Store) DeleteExpiredOIDC(ctx context.Context, now time.Time) error {
	return s.write(ctx, func(c *conn) error {
		if _, err := c.exec(ctx, qExpireAuthReqs, c.t(now.Add(-authRequestRetention))); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qExpireAccess, c.t(now)); err != nil {
			return err
		}
		if _, err := c.exec(ctx, qExpireDevices, c.t(now.Add(-authRequestRetention))); err != nil {
			return err
		}
		_, err := c.exec(ctx, qExpireRefresh, c.t(now))
		return err
	})
}
