package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

func init() {
	postgresConstraints["oidc_device_auths_pkey"] = "oidc_device_auths.device_hash"
	postgresConstraints["oidc_device_auths_user_code_key"] = "oidc_device_auths.user_code"
	conflictFields["oidc_device_auths.device_hash"] = "device_code"
	conflictFields["oidc_device_auths.user_code"] = "user_code"
}

const deviceCols = `device_hash, user_code, client_id, scopes, state, user_id, session_id, auth_time, amr, created_at, expires_at`

var (
	qInsertDevice = stmt(`INSERT INTO oidc_device_auths (` + deviceCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qDeviceByCode = stmt(`SELECT ` + deviceCols + ` FROM oidc_device_auths WHERE user_code = ? AND expires_at > ?`)
	qDeviceByHash = lockStmt(`SELECT ` + deviceCols + ` FROM oidc_device_auths WHERE device_hash = ?`)
	qDecideDevice = stmt(`UPDATE oidc_device_auths SET state = ?, user_id = ?, session_id = ?, auth_time = ?, amr = ?
 WHERE user_code = ? AND state = ? AND expires_at > ?`)
	qRedeemDevice  = stmt(`UPDATE oidc_device_auths SET state = ? WHERE device_hash = ? AND state = ?`)
	qExpireDevices = stmt(`DELETE FROM oidc_device_auths WHERE expires_at <= ?`)
)

func scanDevice(row interface{ Scan(...any) error }) (store.OIDCDeviceAuth, error) {
	var d store.OIDCDeviceAuth
	var at *time.Time
	err := row.Scan(&d.DeviceHash, &d.UserCode, &d.ClientID, strList{&d.Scopes}, &d.State, &d.UserID, &d.SessionID,
		nullTimeCol{&at}, strList{&d.AMR}, timeCol{&d.CreatedAt}, timeCol{&d.ExpiresAt})
	if at != nil {
		d.AuthTime = *at
	}
	return d, err
}

func (c *conn) device(ctx context.Context, q statement, args ...any) (store.OIDCDeviceAuth, error) {
	return queryOne(ctx, c, q, scanDevice, args...)
}

// CreateOIDCDeviceAuth stores a new device authorization.
func (s *Store) CreateOIDCDeviceAuth(ctx context.Context, d store.OIDCDeviceAuth) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, qInsertDevice, d.DeviceHash, d.UserCode, d.ClientID, encodeList(d.Scopes), store.OIDCDevicePending,
			"", "", nil, "[]", c.t(now), c.t(d.ExpiresAt))
		if c.d.isForeignKey(err) || errors.Is(err, store.ErrInvalidReference) {
			return store.ErrNotFound
		}
		return err
	})
}

// GetOIDCDeviceAuthByUserCode returns an unexpired authorization.
func (s *Store) GetOIDCDeviceAuthByUserCode(ctx context.Context, userCode string, now time.Time) (store.OIDCDeviceAuth, error) {
	c := s.read()
	return c.device(ctx, qDeviceByCode, userCode, c.t(now))
}

// DecideOIDCDeviceAuth records the person's answer and audits it.
func (s *Store) DecideOIDCDeviceAuth(ctx context.Context, userCode string, approve bool, d store.OIDCAuthDone, m store.Meta) error {
	now := s.now()
	return s.write(ctx, func(c *conn) error {
		dev, err := c.device(ctx, qDeviceByCode, userCode, c.t(now))
		if err != nil {
			return err
		}
		uname, err := c.username(ctx, d.UserID)
		if err != nil {
			return err
		}
		cl, err := c.client(ctx, qClient, dev.ClientID)
		if err != nil {
			return err
		}
		state, action := store.OIDCDeviceApproved, "oidc.signin"
		if !approve {
			state, action = store.OIDCDeviceDenied, "oidc.device_deny"
		}
		res, err := c.exec(ctx, qDecideDevice, state, d.UserID, d.SessionID, c.t(d.AuthTime), encodeList(d.AMR), userCode,
			store.OIDCDevicePending, c.t(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return store.ErrNotFound
		}
		if approve {
			if err := c.holdSession(ctx, cl.ID, d, now); err != nil {
				return err
			}
		}
		return c.audit(ctx, m, now, event{action: action, targetType: "user", targetID: d.UserID, targetName: uname,
			after: snapshot([]field{{"client-id", cl.ID}, {"client-name", cl.Name}, {"device", true}, {"session-id", opt(d.SessionID)}})})
	})
}

// PollOIDCDeviceAuth answers the device's poll; see store.OIDCStore.
func (s *Store) PollOIDCDeviceAuth(ctx context.Context, deviceHash []byte) (store.OIDCDeviceAuth, error) {
	var out store.OIDCDeviceAuth
	err := s.write(ctx, func(c *conn) error {
		d, err := c.device(ctx, qDeviceByHash, deviceHash)
		if err != nil {
			return err
		}
		out = d
		if d.State != store.OIDCDeviceApproved {
			return nil
		}
		res, err := c.exec(ctx, qRedeemDevice, store.OIDCDeviceRedeemed, deviceHash, store.OIDCDeviceApproved)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			out.State = store.OIDCDeviceRedeemed
		}
		return nil
	})
	return out, err
}
