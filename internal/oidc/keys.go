package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rollcall/rollcall/internal/store"
)

// The ids of the keys the first start creates. Fixed ids make instances
// that start at once on one database agree on one key each
// (store.OIDCStore.CreateOIDCKey keeps the first).
const (
	initialSigningKeyID = "rs256-1"
	encryptionKeyID     = "enc-1"
)

// keysRefresh is how long an instance uses the keys it read before reading
// them again, so a key another instance adds is served within it.
const keysRefresh = 10 * time.Second

// retiredKeyPublished is how long a retired signing key stays in JWKS: the
// longest lifetime an ID token can have.
const retiredKeyPublished = 24 * time.Hour

// signingKey is a private key that signs ID tokens.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a key published in JWKS.
type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.PublicKey
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.key }

// keyring reads the provider's keys from the database and keeps them for
// keysRefresh.
type keyring struct {
	st  store.OIDCStore
	now func() time.Time

	mu      sync.Mutex
	read    time.Time
	signing *signingKey
	public  []op.Key
}

// ensureKeys creates the first signing key and the encryption key when
// the database has none, and returns the encryption key.
func ensureKeys(ctx context.Context, st store.OIDCStore) ([32]byte, error) {
	var enc [32]byte
	keys, err := st.OIDCKeys(ctx)
	if err != nil {
		return enc, err
	}
	hasSig, hasEnc := false, false
	for _, k := range keys {
		hasSig = hasSig || k.Use == "sig"
		hasEnc = hasEnc || k.Use == "enc"
	}
	if !hasSig {
		der, err := generateKey(string(jose.RS256))
		if err != nil {
			return enc, err
		}
		if _, err := st.CreateOIDCKey(ctx, store.OIDCKey{ID: initialSigningKeyID, Use: "sig", Algorithm: string(jose.RS256), PrivateKey: der}); err != nil {
			return enc, fmt.Errorf("oidc: storing the first signing key: %w", err)
		}
	}
	k := store.OIDCKey{ID: encryptionKeyID, Use: "enc", Algorithm: "A256", PrivateKey: make([]byte, 32)}
	if !hasEnc {
		if _, err := rand.Read(k.PrivateKey); err != nil {
			return enc, err
		}
	}
	// CreateOIDCKey returns the stored key when it exists already.
	stored, err := st.CreateOIDCKey(ctx, k)
	if err != nil {
		return enc, fmt.Errorf("oidc: storing the encryption key: %w", err)
	}
	if len(stored.PrivateKey) != 32 {
		return enc, errors.New("oidc: the stored encryption key is not 32 bytes")
	}
	copy(enc[:], stored.PrivateKey)
	return enc, nil
}

// SigningAlgorithms are the algorithms a signing key may have: RS256 (the
// default, which every relying party supports), ES256 and EdDSA.
var SigningAlgorithms = []string{string(jose.RS256), string(jose.ES256), string(jose.EdDSA)}

// generateKey makes a private key for alg, as PKCS #8 DER.
func generateKey(alg string) ([]byte, error) {
	var priv any
	var err error
	switch alg {
	case string(jose.RS256):
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case string(jose.ES256):
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case string(jose.EdDSA):
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("signing algorithm %q is not offered: use RS256, ES256 or EdDSA", alg)
	}
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(priv)
}

// RotateSigningKey makes a new signing key with alg (RS256 when empty) and
// retires the current one, which stays in JWKS for a day, the longest an
// ID token can live, so that tokens it signed keep verifying. Every
// instance publishes the new key at once (JWKS is read from the database
// on every request) and signs with it within keysRefresh.
func RotateSigningKey(ctx context.Context, st store.OIDCStore, alg string, m store.Meta) (store.OIDCKey, error) {
	if alg == "" {
		alg = string(jose.RS256)
	}
	der, err := generateKey(alg)
	if err != nil {
		return store.OIDCKey{}, err
	}
	return st.RotateOIDCSigningKey(ctx, store.OIDCKey{Algorithm: alg, PrivateKey: der}, m)
}

// load returns the current signing key and the published keys.
func (kr *keyring) load(ctx context.Context) (*signingKey, []op.Key, error) {
	return kr.loadAt(ctx, false)
}

// published returns the keys of JWKS, read from the database now, so that
// a key rotated by another instance is published at once.
func (kr *keyring) published(ctx context.Context) ([]op.Key, error) {
	_, pub, err := kr.loadAt(ctx, true)
	return pub, err
}

func (kr *keyring) loadAt(ctx context.Context, fresh bool) (*signingKey, []op.Key, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	now := kr.now()
	if !fresh && kr.signing != nil && now.Sub(kr.read) < keysRefresh {
		return kr.signing, kr.public, nil
	}
	keys, err := kr.st.OIDCKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	var signing *signingKey
	var public []op.Key
	for _, k := range keys { // newest first
		if k.Use != "sig" {
			continue
		}
		priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
		if err != nil {
			return nil, nil, fmt.Errorf("oidc: signing key %s is unreadable: %w", k.ID, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("oidc: signing key %s cannot sign", k.ID)
		}
		alg := jose.SignatureAlgorithm(k.Algorithm)
		if k.RetiredAt == nil && signing == nil {
			signing = &signingKey{id: k.ID, alg: alg, key: signer}
		}
		// A retired key stays published as long as an ID token it signed
		// can be valid (api.MaxIDTokenLifetime, a day).
		if k.RetiredAt == nil || now.Sub(*k.RetiredAt) < retiredKeyPublished {
			public = append(public, &publicKey{id: k.ID, alg: alg, key: signer.Public()})
		}
	}
	if signing == nil {
		return nil, nil, errors.New("oidc: no signing key in the database")
	}
	kr.signing, kr.public, kr.read = signing, public, now
	return signing, public, nil
}
