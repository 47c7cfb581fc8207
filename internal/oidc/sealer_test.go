package oidc

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

func testSealer(t *testing.T, fill byte) (*sealer, [32]byte) {
	t.Helper()
	var key [32]byte
	for i := range key {
		key[i] = fill + byte(i)
	}
	x, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return x, key
}

func TestSealerOpensWhatItSealed(t *testing.T) {
	x, _ := testSealer(t, 1)
	for _, s := range []string{"", "tokenid:subject", "client https://app.example/after?x=1 y", strings.Repeat("é", 500)} {
		sealed, err := x.Encrypt(s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, sealPrefix) || (s != "" && strings.Contains(sealed, s)) {
			t.Fatalf("sealed %q as %q", s, sealed)
		}
		again, _ := x.Encrypt(s)
		if again == sealed {
			t.Fatalf("two seals of %q are equal; the nonce must be random", s)
		}
		got, err := x.Decrypt(sealed)
		if err != nil || got != s {
			t.Fatalf("Decrypt(Encrypt(%q)) = %q, %v", s, got, err)
		}
	}
}

func TestSealerRefusesChangedOrForeignValues(t *testing.T) {
	x, _ := testSealer(t, 1)
	other, _ := testSealer(t, 2)
	sealed, _ := x.Encrypt("tokenid:subject")
	foreign, _ := other.Encrypt("tokenid:subject")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 1 // a byte of the ciphertext
	flipped := sealPrefix + base64.RawURLEncoding.EncodeToString(raw)
	for name, v := range map[string]string{
		"another key's":     foreign,
		"a byte changed":    flipped,
		"cut short":         sealed[:len(sealed)-3],
		"only the prefix":   sealPrefix,
		"not base64":        sealPrefix + "!!!!",
		"nonce only":        sealPrefix + strings.Repeat("A", 32),
		"neither format":    "not-a-token",
		"a JWE of elsewise": "eyJhbGciOiJBMjU2R0NNS1ciLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d",
	} {
		if got, err := x.Decrypt(v); err == nil {
			t.Errorf("%s value opened as %q", name, got)
		}
	}
}

// Tokens, codes and logout links issued before the sealer (in the
// library's JWE format, with the same stored key) still open until they
// expire.
func TestSealerOpensTheLibrarysFormat(t *testing.T) {
	x, key := testSealer(t, 1)
	old, err := op.NewAES256GCMCrypto(key, encryptionKeyID).Encrypt("tokenid:subject")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(old, "eyJ") {
		t.Fatalf("the library's format changed: %q", old)
	}
	if got, err := x.Decrypt(old); err != nil || got != "tokenid:subject" {
		t.Fatalf("Decrypt(library's value) = %q, %v", got, err)
	}
	_, otherKey := testSealer(t, 2)
	foreign, _ := op.NewAES256GCMCrypto(otherKey, encryptionKeyID).Encrypt("tokenid:subject")
	if got, err := x.Decrypt(foreign); err == nil {
		t.Fatalf("another key's library value opened as %q", got)
	}
}
