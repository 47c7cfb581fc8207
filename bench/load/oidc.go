package main

// The OpenID Connect scenarios and the signing ceiling.
//
// oidc-token redeems one authorization code per request: POST
// /oauth2/token, grant authorization_code with the PKCE verifier, the
// client authenticated by its secret (HTTP Basic), and checks that the
// answer is 200 with an access token and an ID token. The codes come from
// bench/oidcseed and each is used once, warm-up included; running out is
// an error, not a shorter run.
//
// oidc-userinfo sends GET /oauth2/userinfo with an opaque access token
// (picked at random from those an oidc-token run wrote with -tokens-out)
// and checks that the answer is 200 with a sub.
//
// sign-ceiling sends nothing: it measures how many RS256 signatures a
// second this machine makes of the same ID token as the server's (the
// payload of a sample the server issued, signed with a key of the size of
// the server's, found in its JWKS) from one goroutine per core, the way
// the server signs (go-jose, typ JWT, kid). One signature per code
// exchange is the cost no implementation avoids, so the token endpoint's
// rate reads as a fraction of this one.

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// oidcClient is the client file of bench/oidcseed.
type oidcClient struct {
	ID           string `json:"client_id"`
	Secret       string `json:"client_secret"`
	RedirectURI  string `json:"redirect_uri"`
	CodeVerifier string `json:"code_verifier"`
}

// oidcState is what the OpenID Connect scenarios share between workers.
type oidcState struct {
	client oidcClient
	codes  []string
	next   atomic.Int64 // index of the next unused code
	access []string     // access tokens, for userinfo
	sample string       // an ID token, for sign-ceiling

	mu     sync.Mutex
	issued []string // "access\tid" lines for -tokens-out
}

var errOutOfCodes = errors.New("no authorization code left")

// loadOIDC reads the inputs of the OpenID Connect scenarios.
func (c *config) loadOIDC() error {
	s := &oidcState{}
	c.oidc = s
	switch c.scenario {
	case "oidc-token":
		if c.clientFile == "" || c.codesFile == "" {
			return errors.New("-scenario oidc-token needs -client and -codes (from bench/oidcseed)")
		}
		b, err := os.ReadFile(c.clientFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &s.client); err != nil {
			return fmt.Errorf("%s: %w", c.clientFile, err)
		}
		if s.codes, err = readLines(c.codesFile); err != nil {
			return err
		}
	case "oidc-userinfo", "sign-ceiling":
		if c.tokensFile == "" {
			return fmt.Errorf("-scenario %s needs -tokens (written by an oidc-token run's -tokens-out)", c.scenario)
		}
		lines, err := readLines(c.tokensFile)
		if err != nil {
			return err
		}
		for _, l := range lines {
			at, id, _ := strings.Cut(l, "\t")
			s.access = append(s.access, at)
			if s.sample == "" {
				s.sample = id
			}
		}
	}
	return nil
}

// readLines returns the non-empty lines of a file; there must be some.
func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return out, nil
}

// writeTokens writes what -tokens-out asked for.
func (c *config) writeTokens() error {
	if c.tokensOut == "" || c.oidc == nil {
		return nil
	}
	if len(c.oidc.issued) == 0 {
		return errors.New("-tokens-out: no token was received")
	}
	return os.WriteFile(c.tokensOut, []byte(strings.Join(c.oidc.issued, "\n")+"\n"), 0o600)
}

// tokenAnswer is the part of the token endpoint's answer that is checked.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
}

func (w *worker) oidcToken() error {
	s := w.c.oidc
	i := s.next.Add(1) - 1
	if i >= int64(len(s.codes)) {
		return errOutOfCodes
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {s.codes[i]},
		"redirect_uri": {s.client.RedirectURI}, "code_verifier": {s.client.CodeVerifier}}
	req, err := http.NewRequest(http.MethodPost, w.c.base+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	// RFC 6749 section 2.3.1: the id and secret are form-encoded first.
	req.SetBasicAuth(url.QueryEscape(s.client.ID), url.QueryEscape(s.client.Secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	b, err := w.oidcDo(req)
	if err != nil {
		return err
	}
	var a tokenAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("POST /oauth2/token: answer is not JSON: %w", err)
	}
	if a.AccessToken == "" || strings.Count(a.IDToken, ".") != 2 || !strings.EqualFold(a.TokenType, "bearer") {
		return fmt.Errorf("POST /oauth2/token: answer lacks an access token, an ID token or token_type Bearer: %.300s", b)
	}
	if w.c.tokensOut != "" {
		s.mu.Lock()
		s.issued = append(s.issued, a.AccessToken+"\t"+a.IDToken)
		s.mu.Unlock()
	}
	return nil
}

func (w *worker) oidcUserinfo() error {
	s := w.c.oidc
	req, err := http.NewRequest(http.MethodGet, w.c.base+"/oauth2/userinfo", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.access[w.rng.IntN(len(s.access))])
	req.Header.Set("Accept", "application/json")
	b, err := w.oidcDo(req)
	if err != nil {
		return err
	}
	var info struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(b, &info); err != nil || info.Sub == "" {
		return fmt.Errorf("GET /oauth2/userinfo: answer has no sub: %.300s", b)
	}
	return nil
}

// oidcDo sends req and returns the body of a 200 answer. Error messages
// name the method and path only: the code or token is in the body or a
// header, never in the URL.
func (w *worker) oidcDo(req *http.Request) ([]byte, error) {
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err // a *url.Error: method and URL, which hold no secret
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d, want 200: %.300s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return b, nil
}

// signCeiling measures RS256 signatures a second; see the top of the file.
func signCeiling(c *config) (result, error) {
	parts := strings.Split(c.oidc.sample, ".")
	if len(parts) != 3 {
		return result{}, fmt.Errorf("%s holds no ID token (a JWS) to take the claims from", c.tokensFile)
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err == nil {
		err = json.Unmarshal(hb, &header)
	}
	if err != nil {
		return result{}, fmt.Errorf("the sample ID token's header: %w", err)
	}
	if header.Alg != string(jose.RS256) {
		return result{}, fmt.Errorf("the server signs ID tokens with %s; the signing ceiling measures RS256", header.Alg)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return result{}, fmt.Errorf("the sample ID token's claims: %w", err)
	}
	bits, err := keyBits(c, header.Kid)
	if err != nil {
		return result{}, err
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return result{}, err
	}
	n := runtime.GOMAXPROCS(0)
	c.conns = n
	fmt.Fprintf(os.Stderr, "load: sign-ceiling: RS256, %d-bit key, %d-byte claims, %d goroutines\n", bits, len(payload), n)
	sign := func() (time.Duration, error) {
		t0 := time.Now()
		// A signer per token, as the server makes (op.SignerFromKey).
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: header.Kid}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return 0, err
		}
		jws, err := s.Sign(payload)
		if err != nil {
			return 0, err
		}
		if _, err := jws.CompactSerialize(); err != nil {
			return 0, err
		}
		return time.Since(t0), nil
	}
	loop := func(until time.Time) (result, error) {
		var (
			mu        sync.Mutex
			latencies []time.Duration
			firstErr  error
			wg        sync.WaitGroup
		)
		start := time.Now()
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := make([]time.Duration, 0, 4096)
				var err error
				for time.Now().Before(until) {
					var d time.Duration
					if d, err = sign(); err != nil {
						break
					}
					local = append(local, d)
				}
				mu.Lock()
				latencies = append(latencies, local...)
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		el := time.Since(start)
		if firstErr != nil {
			return result{}, firstErr
		}
		if len(latencies) == 0 {
			return result{}, errors.New("no signature completed")
		}
		slices.Sort(latencies)
		return result{requests: len(latencies), elapsed: el, serverCPU: -1, loadCPU: -1, dbCPU: -1,
			p50: latencies[len(latencies)*50/100], p99: latencies[min(len(latencies)-1, len(latencies)*99/100)]}, nil
	}
	if c.warmup > 0 {
		if _, err := loop(time.Now().Add(c.warmup)); err != nil {
			return result{}, err
		}
	}
	return loop(time.Now().Add(c.duration))
}

// keyBits returns the size of the server's signing key kid, from its JWKS.
func keyBits(c *config, kid string) (int, error) {
	resp, err := http.Get(c.base + "/oauth2/keys")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /oauth2/keys: status %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return 0, fmt.Errorf("GET /oauth2/keys: %w", err)
	}
	for _, k := range set.Key(kid) {
		if pub, ok := k.Key.(*rsa.PublicKey); ok {
			return pub.N.BitLen(), nil
		}
	}
	return 0, fmt.Errorf("the server's JWKS has no RSA key %q", kid)
}
