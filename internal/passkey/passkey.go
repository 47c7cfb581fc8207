// Package passkey runs Rollcall's WebAuthn ceremonies over go-webauthn:
// registering a passkey (from a setup link or the account page) and signing
// in with a discoverable credential, where nobody types a username.
//
// The relying party id and origin come from the public URL (ROLLCALL_URL),
// so a passkey made for https://id.example.com works only there. User
// verification and resident keys are required: a passkey must be
// discoverable and must prove the person, not just a device. The state of
// each ceremony in progress lives in the database (store.AuthStore), never in
// process memory, so the begin and finish requests may reach different
// server instances.
package passkey

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/rollcall/rollcall/internal/store"
)

// CeremonyTimeout is how long a person has between the begin and finish of
// a ceremony; the browser is told the same.
const CeremonyTimeout = 5 * time.Minute

// Challenge purposes stored with each ceremony, so that a registration
// challenge cannot be answered as a sign-in and the other way round.
const (
	PurposeRegister = "register"
	PurposeSignIn   = "signin"
)

// Failure is a sign-in that did not prove a person. UserID is set when the
// presented passkey belongs to a known user, so the audit log can say whose
// account was tried. Reason is for the audit log, not for the browser.
type Failure struct {
	UserID string
	Reason string
	Err    error
	// Cloned says the passkey's signature counter went back: it may have
	// been copied to another device. The page says so, not "deleted".
	Cloned bool
}

func (f *Failure) Error() string { return "passkey sign-in failed: " + f.Reason }
func (f *Failure) Unwrap() error { return f.Err }

// ErrCeremonyExpired is returned when the finish request names a ceremony
// that is unknown, already answered or too old: the page should start again.
var ErrCeremonyExpired = errors.New("passkey: the sign-in or registration took too long or was already used; start again")

// Service runs the ceremonies. It is safe for concurrent use.
type Service struct {
	wa   *webauthn.WebAuthn
	auth store.AuthStore
	now  func() time.Time
}

// New returns a Service for the server reachable at publicURL (such as
// https://id.example.com or http://localhost:8080). rpName is what the
// browser shows as the site's name.
func New(publicURL, rpName string, auth store.AuthStore) (*Service, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("passkey: public URL %q must be an absolute http:// or https:// URL such as https://id.example.com", publicURL)
	}
	origin := u.Scheme + "://" + u.Host
	requireRK := true
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: rpName,
		RPOrigins:     []string{origin},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			RequireResidentKey: &requireRK,
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: relying party for %s: %w", origin, err)
	}
	return &Service{wa: wa, auth: auth, now: time.Now}, nil
}

// RPID returns the relying party id, the host name of the public URL.
func (s *Service) RPID() string { return s.wa.Config.RPID }

// user adapts a store.User and its passkeys to go-webauthn. The user handle
// is the user id, which never changes even when the username does.
type user struct {
	u     store.User
	creds []webauthn.Credential
}

func (w *user) WebAuthnID() []byte   { return []byte(w.u.ID) }
func (w *user) WebAuthnName() string { return w.u.Username }
func (w *user) WebAuthnDisplayName() string {
	if w.u.DisplayName != "" {
		return w.u.DisplayName
	}
	if n := joinName(w.u.FirstName, w.u.LastName); n != "" {
		return n
	}
	return w.u.Username
}
func (w *user) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

func credentialOf(p store.Passkey) webauthn.Credential {
	ts := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		ts[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:              p.CredentialID,
		PublicKey:       p.PublicKey,
		AttestationType: p.AttestationType,
		Transport:       ts,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			UserVerified:   true,
			BackupEligible: p.BackupEligible,
			BackupState:    p.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount},
	}
}

// Options is what the browser receives to start a ceremony: the
// PublicKeyCredential options in their JSON form and the id of the stored
// ceremony, which the finish request sends back.
type Options struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
	Mediation string          `json:"mediation,omitempty"`
}

// BeginRegistration starts registering a new passkey for u. existing are
// u's passkeys, which the browser is told to exclude so that one
// authenticator is not registered twice.
func (s *Service) BeginRegistration(ctx context.Context, u store.User, existing []store.Passkey) (Options, error) {
	wu := &user{u: u}
	excl := make([]protocol.CredentialDescriptor, 0, len(existing))
	for _, p := range existing {
		c := credentialOf(p)
		excl = append(excl, c.Descriptor())
	}
	creation, session, err := s.wa.BeginRegistration(wu,
		webauthn.WithExclusions(excl),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
	)
	if err != nil {
		return Options{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return s.save(ctx, PurposeRegister, u.ID, session, creation.Response, "")
}

// FinishRegistration checks the browser's answer (the JSON of the new
// PublicKeyCredential) to ceremony for u and returns the passkey to store.
// It does not store it: the caller does, together with whatever else the
// registration completes (a setup link, a session).
func (s *Service) FinishRegistration(ctx context.Context, ceremony string, u store.User, body []byte) (store.Passkey, error) {
	session, err := s.take(ctx, ceremony, PurposeRegister)
	if err != nil {
		return store.Passkey{}, err
	}
	if !bytes.Equal(session.UserID, []byte(u.ID)) {
		return store.Passkey{}, ErrCeremonyExpired
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return store.Passkey{}, fmt.Errorf("passkey: the browser's answer could not be read: %w", describe(err))
	}
	cred, err := s.wa.CreateCredential(&user{u: u}, session, parsed)
	if err != nil {
		return store.Passkey{}, fmt.Errorf("passkey: the new passkey was not accepted: %w", describe(err))
	}
	ts := make([]string, len(cred.Transport))
	for i, t := range cred.Transport {
		ts[i] = string(t)
	}
	now := s.now().UTC()
	return store.Passkey{
		UserID:          u.ID,
		CredentialID:    cred.ID,
		PublicKey:       cred.PublicKey,
		AttestationType: cred.AttestationType,
		AAGUID:          cred.Authenticator.AAGUID,
		SignCount:       cred.Authenticator.SignCount,
		Transports:      ts,
		BackupEligible:  cred.Flags.BackupEligible,
		BackupState:     cred.Flags.BackupState,
		Name:            DefaultName(now),
		CreatedAt:       now,
	}, nil
}

// DefaultName names a new passkey until its owner renames it.
func DefaultName(at time.Time) string {
	return "Passkey added " + at.Format("2 Jan 2006")
}

// BeginSignIn starts a discoverable sign-in. conditional asks for the
// browser's autofill ("conditional mediation") instead of a modal dialog.
func (s *Service) BeginSignIn(ctx context.Context, conditional bool) (Options, error) {
	mediation := protocol.MediationDefault
	if conditional {
		mediation = protocol.MediationConditional
	}
	assertion, session, err := s.wa.BeginDiscoverableMediatedLogin(mediation,
		webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Options{}, fmt.Errorf("passkey: begin sign-in: %w", err)
	}
	return s.save(ctx, PurposeSignIn, "", session, assertion.Response, string(assertion.Mediation))
}

// BeginSignInFor starts a sign-in limited to the given passkeys of one
// person (allowCredentials): the sign-in page's Username field, for a
// browser or security key that does not offer discoverable passkeys by
// itself, or a device that holds passkeys of several accounts.
func (s *Service) BeginSignInFor(ctx context.Context, pks []store.Passkey) (Options, error) {
	allow := make([]protocol.CredentialDescriptor, 0, len(pks))
	for _, p := range pks {
		c := credentialOf(p)
		allow = append(allow, c.Descriptor())
	}
	assertion, session, err := s.wa.BeginDiscoverableMediatedLogin(protocol.MediationDefault,
		webauthn.WithUserVerification(protocol.VerificationRequired), webauthn.WithAllowedCredentials(allow))
	if err != nil {
		return Options{}, fmt.Errorf("passkey: begin sign-in: %w", err)
	}
	return s.save(ctx, PurposeSignIn, "", session, assertion.Response, string(assertion.Mediation))
}

// SignInResult is a proven sign-in: the user, and the passkey used with its
// new signature counter and backup state, ready for store.RecordSignIn.
type SignInResult struct {
	User    store.User
	Passkey store.Passkey
}

// FinishSignIn checks the browser's assertion for ceremony. getUser loads
// a user by id (store.Store's GetUser). A disabled user's valid assertion
// still succeeds here: the caller refuses it with a page that says so,
// after the person has proven who they are. Every other failure is a
// *Failure.
func (s *Service) FinishSignIn(ctx context.Context, ceremony string, body []byte, getUser func(ctx context.Context, id string) (store.User, error)) (SignInResult, error) {
	session, err := s.take(ctx, ceremony, PurposeSignIn)
	if err != nil {
		return SignInResult{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return SignInResult{}, &Failure{Reason: "unreadable assertion: " + describe(err).Error(), Err: err}
	}
	var found store.Passkey
	var owner store.User
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		p, err := s.auth.GetPasskeyByCredentialID(ctx, rawID)
		if err != nil {
			return nil, fmt.Errorf("unknown passkey: %w", err)
		}
		if !bytes.Equal(userHandle, []byte(p.UserID)) {
			return nil, errors.New("the passkey's user handle does not match its owner")
		}
		u, err := getUser(ctx, p.UserID)
		if err != nil {
			return nil, fmt.Errorf("owner of passkey: %w", err)
		}
		found, owner = p, u
		creds := []webauthn.Credential{credentialOf(p)}
		if len(session.AllowedCredentialIDs) > 0 {
			// The library checks that the user owns every allowed
			// credential, so give it all of theirs.
			all, err := s.auth.ListPasskeys(ctx, p.UserID)
			if err != nil {
				return nil, fmt.Errorf("passkeys of owner: %w", err)
			}
			creds = creds[:0]
			for _, q := range all {
				creds = append(creds, credentialOf(q))
			}
		}
		return &user{u: u, creds: creds}, nil
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(handler, session, parsed)
	if err != nil {
		return SignInResult{}, &Failure{UserID: found.UserID, Reason: describe(err).Error(), Err: err}
	}
	if cred.Authenticator.CloneWarning {
		return SignInResult{}, &Failure{UserID: found.UserID, Cloned: true,
			Reason: fmt.Sprintf("signature counter went back (stored %d, presented %d): the passkey may have been cloned", found.SignCount, parsed.Response.AuthenticatorData.Counter)}
	}
	found.SignCount = cred.Authenticator.SignCount
	found.BackupState = cred.Flags.BackupState
	return SignInResult{User: owner, Passkey: found}, nil
}

// save stores the ceremony state and returns the options for the browser.
func (s *Service) save(ctx context.Context, purpose, userID string, session *webauthn.SessionData, publicKey any, mediation string) (Options, error) {
	data, err := json.Marshal(session)
	if err != nil {
		return Options{}, fmt.Errorf("passkey: encoding ceremony: %w", err)
	}
	pk, err := json.Marshal(publicKey)
	if err != nil {
		return Options{}, fmt.Errorf("passkey: encoding options: %w", err)
	}
	id := randomID()
	now := s.now().UTC()
	if err := s.auth.SaveChallenge(ctx, store.Challenge{
		ID: id, UserID: userID, Purpose: purpose, Data: data,
		ExpiresAt: now.Add(CeremonyTimeout), CreatedAt: now,
	}); err != nil {
		return Options{}, fmt.Errorf("passkey: saving ceremony: %w", err)
	}
	return Options{Ceremony: id, PublicKey: pk, Mediation: mediation}, nil
}

// take consumes the stored ceremony, once.
func (s *Service) take(ctx context.Context, id, purpose string) (webauthn.SessionData, error) {
	var session webauthn.SessionData
	if id == "" {
		return session, ErrCeremonyExpired
	}
	c, err := s.auth.ConsumeChallenge(ctx, id, s.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return session, ErrCeremonyExpired
	}
	if err != nil {
		return session, fmt.Errorf("passkey: loading ceremony: %w", err)
	}
	if c.Purpose != purpose {
		return session, ErrCeremonyExpired
	}
	if err := json.Unmarshal(c.Data, &session); err != nil {
		return session, fmt.Errorf("passkey: decoding ceremony: %w", err)
	}
	return session, nil
}

// describe turns go-webauthn's *protocol.Error, whose Error() is only its
// type, into an error that carries the details too.
func describe(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		msg := pe.Type
		if pe.Details != "" {
			msg += ": " + pe.Details
		}
		if pe.DevInfo != "" {
			msg += " (" + pe.DevInfo + ")"
		}
		return errors.New(msg)
	}
	return err
}

func randomID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic("passkey: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
