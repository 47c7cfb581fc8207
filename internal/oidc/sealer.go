package oidc

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/crypto/chacha20poly1305"
)

// sealPrefix starts every value the sealer makes. A '.' never occurs in
// base64 and a JWE compact value starts with "eyJ", so the prefix tells a
// sealed value from one the library's own JWE format made.
const sealPrefix = "rc1."

// sealer is the library's op.Crypto: it seals the opaque access tokens
// (the token's id and subject), the authorization codes (the request's id)
// and the logout page's hand-off (client and redirect URI).
//
// The library's default seals as a JWE (AES-256-GCM key wrap), whose
// opening parses a JSON header and unwraps a key: about a sixth of a
// userinfo request's CPU. The sealer uses XChaCha20-Poly1305 with an AEAD
// made once: authenticated like the JWE (a changed byte is refused), and
// its 192-bit random nonces need no counter and set no practical limit on
// how many values one key seals (AES-GCM's 96-bit random nonces would,
// at about four billion). Its key is derived from the stored encryption
// key, so every instance on one database opens what another sealed.
//
// Values in the library's format (access tokens, codes and logout links
// issued before this format) are still opened, by the library's crypto
// with the same key, until they expire.
type sealer struct {
	aead   cipher.AEAD
	legacy op.Crypto
}

// newSealer makes the sealer of the stored encryption key.
func newSealer(key [32]byte) (*sealer, error) {
	sub, err := hkdf.Key(sha256.New, key[:], nil, "rollcall sealed values v1", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(sub)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, legacy: op.NewAES256GCMCrypto(key, encryptionKeyID)}, nil
}

var errNotSealed = errors.New("oidc: not a value this server sealed")

// Encrypt seals s: the prefix, then base64url of nonce and ciphertext.
func (x *sealer) Encrypt(s string) (string, error) {
	n := x.aead.NonceSize()
	buf := make([]byte, n, n+len(s)+x.aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	buf = x.aead.Seal(buf, buf[:n], []byte(s), nil)
	return sealPrefix + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Decrypt opens a value Encrypt sealed, or one in the library's format.
func (x *sealer) Decrypt(s string) (string, error) {
	b64, ok := strings.CutPrefix(s, sealPrefix)
	if !ok {
		return x.legacy.Decrypt(s)
	}
	buf, err := base64.RawURLEncoding.DecodeString(b64)
	n := x.aead.NonceSize()
	if err != nil || len(buf) < n+x.aead.Overhead() {
		return "", errNotSealed
	}
	plain, err := x.aead.Open(buf[n:n], buf[:n], buf[n:], nil)
	if err != nil {
		return "", errNotSealed
	}
	return string(plain), nil
}
