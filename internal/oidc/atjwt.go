package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// JWT access tokens (RFC 9068). zitadel/oidc signs them with the header
// typ "JWT" of its ID tokens (op.SignerFromKey sets it, with no option to
// change it) and without the scope claim. RFC 9068 asks for typ "at+jwt",
// so that a resource server cannot take an ID token for an access token,
// and for scope. The token endpoint's answer is therefore finished here:
// a JWT access token signed by the current key gets the header and the
// scope the response grants, and is signed again. The claims the library
// set (iss, exp, aud, sub, client_id, iat, jti) stay as they are, so
// introspection, userinfo and revocation, which go by jti, are unchanged.
// Opaque access tokens pass untouched. The price: a second signature per
// token response of a client with JWT access tokens.

const tokenPath = "/oauth2/token"

// jwtAccessTokens wraps the token endpoint; see above.
func (p *Provider) jwtAccessTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recordedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if rec.status == http.StatusOK {
			if b, err := p.typeAccessToken(r.Context(), body); err != nil {
				p.log.Warn("typing a JWT access token", slog.Any("error", err))
			} else {
				body = b
			}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	})
}

// typeAccessToken returns the token response body with its access token
// re-signed as at+jwt, or body itself when there is nothing to do.
func (p *Provider) typeAccessToken(ctx context.Context, body []byte) ([]byte, error) {
	var res map[string]json.RawMessage
	if json.Unmarshal(body, &res) != nil {
		return body, nil
	}
	var at string
	if json.Unmarshal(res["access_token"], &at) != nil || strings.Count(at, ".") != 2 {
		return body, nil // no access token, or an opaque one
	}
	k, _, err := p.storage.keys.load(ctx)
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(at, []jose.SignatureAlgorithm{k.alg})
	if err != nil || len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != k.id {
		return body, nil // not one the library just signed with k
	}
	if typ, _ := jws.Signatures[0].Header.ExtraHeaders[jose.HeaderType].(string); typ == "at+jwt" {
		return body, nil
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		return nil, err
	}
	if _, ok := claims["scope"]; !ok && res["scope"] != nil {
		claims["scope"] = res["scope"] // space-delimited, as in the response
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	tok, err := p.sign(k, "at+jwt", payload)
	if err != nil {
		return nil, err
	}
	if res["access_token"], err = json.Marshal(tok); err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// sign signs payload with k as a JWS with the header typ.
func (p *Provider) sign(k *signingKey, typ string, payload []byte) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.id}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}

// recordedResponse keeps a handler's response to finish it.
type recordedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recordedResponse) Header() http.Header         { return r.header }
func (r *recordedResponse) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recordedResponse) WriteHeader(status int)      { r.status = status }
