// Package token makes and checks Rollcall API tokens: "rc_" followed by 43
// base62 characters (about 256 bits from crypto/rand). Only the SHA-256 of a
// token is ever stored; a token is found by looking its hash up, so the
// secret itself is never compared byte by byte against stored data.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// Prefix starts every token, so that secret scanners and people recognise one.
const Prefix = "rc_"

// bodyLen is the number of base62 characters after the prefix.
const bodyLen = 43

// Len is the length of a whole token.
const Len = len(Prefix) + bodyLen

// DisplayLen is how many leading characters of a token are kept in clear as
// its display prefix, enough to recognise it in a list, far too few to guess it.
const DisplayLen = len(Prefix) + 6

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Generate returns a new random token. It panics only if the operating
// system's random source fails, which crypto/rand documents as fatal.
func Generate() string {
	var b strings.Builder
	b.Grow(Len)
	b.WriteString(Prefix)
	buf := make([]byte, 64)
	for b.Len() < Len {
		if _, err := rand.Read(buf); err != nil {
			panic("token: crypto/rand failed: " + err.Error())
		}
		for _, c := range buf {
			// 248 = 4*62: rejecting the top bytes keeps every character equally likely.
			if c >= 248 {
				continue
			}
			b.WriteByte(alphabet[c%62])
			if b.Len() == Len {
				break
			}
		}
	}
	return b.String()
}

// Hash returns the SHA-256 of the whole token string, the only form stored.
func Hash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// DisplayPrefix returns the leading characters of tok shown in token lists.
func DisplayPrefix(tok string) string {
	if len(tok) < DisplayLen {
		return tok
	}
	return tok[:DisplayLen]
}

// WellFormed reports whether s has the shape of a token: the prefix and 43
// base62 characters. Requests with malformed tokens are refused before any
// database lookup.
func WellFormed(s string) bool {
	if len(s) != Len || !strings.HasPrefix(s, Prefix) {
		return false
	}
	for i := len(Prefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// Equal compares two secrets in constant time, for the rare place where a
// secret is compared directly rather than looked up by hash.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
