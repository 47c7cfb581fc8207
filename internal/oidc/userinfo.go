package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The userinfo endpoint is answered here rather than by the library, for
// two reasons. Its refusals: the library answers a missing or unreadable
// token with a plain-text 401 and every other refusal (a revoked token, a
// disabled person, a database error) with a 403, none with the
// WWW-Authenticate challenge that RFC 6750 §3 and OpenID Connect Core §5.3.3
// ask for, so a relying party cannot tell "refresh and retry" from "give
// up". And its cost: the library writes the claims as JSON, reads them back
// into a map, merges the extra claims (groups, custom claims) and writes
// the map again, a tenth of a userinfo's CPU. The token is still read with
// the library's parser, opened with the provider's sealer or verified as a
// JWT access token with the library's verifier, and the claims are the
// storage's, as for the ID token.

const userinfoPath = "/oauth2/userinfo"

// machineTokenRefusal is the storage's refusal of a client credentials
// token, which describes no person: the token is valid, but not for this.
const machineTokenRefusal = "This access token belongs to a machine client (client credentials grant): there is no person to describe."

// userinfo serves GET and POST /oauth2/userinfo behind the library's CORS
// rules (single-page applications call it from the browser).
func (p *Provider) userinfo() http.Handler {
	h := p.withMeta(http.HandlerFunc(p.serveUserinfo))
	if o := p.op.CORSOptions(); o != nil {
		return cors.New(*o).Handler(h)
	}
	return h
}

func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeUserinfoError(w, http.StatusMethodNotAllowed, "invalid_request", "The userinfo endpoint answers GET and POST only.")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	token, err := op.ParseUserinfoRequest(r, p.op.Decoder())
	if err != nil || token == "" {
		// RFC 6750 §3.1: no error code when no credentials were sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall"`)
		writeUserinfoError(w, http.StatusUnauthorized, "invalid_request",
			"The request carries no access token: send it as the header Authorization: Bearer TOKEN.")
		return
	}
	tokenID, subject, ok := p.openAccessToken(r, token)
	if !ok {
		refuseToken(w, http.StatusUnauthorized, "invalid_token", "The access token is not valid.")
		return
	}
	info := new(oidc.UserInfo)
	err = p.storage.SetUserinfoFromToken(r.Context(), info, tokenID, subject, "")
	var oe *oidc.Error
	switch {
	case err == nil:
	case errors.As(err, &oe) && oe.ErrorType == oidc.AccessDenied && oe.Description == machineTokenRefusal:
		refuseToken(w, http.StatusForbidden, "insufficient_scope", oe.Description)
		return
	case errors.As(err, &oe) && oe.ErrorType == oidc.AccessDenied:
		refuseToken(w, http.StatusUnauthorized, "invalid_token", oe.Description)
		return
	default:
		id, _ := p.meta(r)
		p.log.Error("userinfo failed", slog.String("request_id", id), slog.Any("error", err))
		writeUserinfoError(w, http.StatusInternalServerError, "server_error",
			"Rollcall could not read the access token's person; try again, and tell the administrator if it persists.")
		return
	}
	body, err := userinfoJSON(info)
	if err != nil {
		id, _ := p.meta(r)
		p.log.Error("userinfo failed", slog.String("request_id", id), slog.Any("error", err))
		writeUserinfoError(w, http.StatusInternalServerError, "server_error", "Rollcall could not write the claims.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// openAccessToken returns the token id and subject an access token
// carries: opaque tokens are opened with the provider's sealer, JWT access
// tokens (RFC 9068) verified against the provider's keys and issuer.
func (p *Provider) openAccessToken(r *http.Request, token string) (tokenID, subject string, ok bool) {
	if plain, err := p.op.Crypto().Decrypt(token); err == nil {
		tokenID, subject, ok = strings.Cut(plain, ":")
		return tokenID, subject, ok && !strings.Contains(subject, ":")
	}
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, p.op.AccessTokenVerifier(ctx))
	if err != nil {
		return "", "", false
	}
	return claims.JWTID, claims.Subject, true
}

// refuseToken answers with RFC 6750's challenge, the error in it and, for
// people reading the response, in a JSON body too.
func refuseToken(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall", error="`+code+`", error_description="`+challengeText(description)+`"`)
	writeUserinfoError(w, status, code, description)
}

func writeUserinfoError(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// challengeText keeps a description inside its quoted-string: RFC 6750
// allows printable ASCII other than '"' and '\' there.
func challengeText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '\''
		}
		return r
	}, s)
}

// registeredClaims are the names oidc.UserInfo has fields for; an extra
// claim of the same name never replaces one (the storage never sets such a
// claim: api.ReservedClaims names them all).
var registeredClaims = jsonNames(reflect.TypeFor[oidc.UserInfo]())

func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for n := range jsonNames(f.Type) {
				names[n] = true
			}
			continue
		}
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
			names[n] = true
		}
	}
	return names
}

// userinfoJSON writes info as the library would, with its extra claims
// after the registered ones, in name order, in one pass.
func userinfoJSON(info *oidc.UserInfo) ([]byte, error) {
	extra := info.Claims
	registered := *info
	registered.Claims = nil
	b, err := registered.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\n")
	if len(extra) == 0 {
		return b, nil
	}
	if len(b) < 2 || b[len(b)-1] != '}' {
		return nil, errors.New("oidc: the registered claims are not a JSON object")
	}
	out := b[:len(b)-1]
	first := len(out) == 1 // "{" alone: nothing registered
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		if registeredClaims[name] {
			continue
		}
		k, _ := json.Marshal(name)
		v, err := json.Marshal(extra[name])
		if err != nil {
			return nil, err
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), nil
}
