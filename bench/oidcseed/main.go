// Command oidcseed prepares the OpenID Connect benchmark (bench/oidc.sh):
// it registers a confidential client with a secret it chooses, puts the
// users in three groups (one with a custom claim), and mints
// authorization codes ready to be exchanged at the token endpoint, for
// users seeded by bench/seed, straight through the store. A code is
// single-use, so a benchmark that sends thousands of exchanges a second
// needs thousands of codes, and a browser sign-in per code would take
// hours.
//
//	go run ./bench/oidcseed -database ./rollcall.db -client client.json -users 1000 -codes 20000 -out codes.txt
//
// Each code goes through the store exactly as a real sign-in's does: an
// authorization request with the parameters internal/oidc keeps (redirect
// URI, scopes openid profile email groups, a nonce, a PKCE S256 challenge),
// completed for a user (audited as oidc.signin), then the code's SHA-256
// saved. Only two things differ from a browser's sign-in: there is no
// browser session (so the ID token has no sid claim), and a code stays
// redeemable for -ttl (default an hour) instead of the server's minute,
// since they are minted before the run. The server gets no back door: it
// redeems these codes with the code it runs for any other.
//
// The client file (JSON: client_id, client_secret, redirect_uri,
// code_verifier) is written with mode 0600 when the client is created, and
// read when it exists already, so that several runs mint codes for one
// client. The secret is printed nowhere else. The codes go to -out, one a
// line.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rollcall/rollcall/bench/internal/dataset"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
)

// Client is what the load tool needs to redeem the codes.
type Client struct {
	ID           string `json:"client_id"`
	Secret       string `json:"client_secret"`
	RedirectURI  string `json:"redirect_uri"`
	CodeVerifier string `json:"code_verifier"`
}

// authParams mirrors internal/oidc's authParams (request.go), the JSON the
// provider keeps as an authorization request's Params. If the two drift,
// every exchange of the benchmark fails (the load tool checks each
// answer), so the drift cannot go unnoticed.
type authParams struct {
	RedirectURI         string   `json:"redirect_uri"`
	Nonce               string   `json:"nonce,omitempty"`
	Scopes              []string `json:"scopes"`
	ResponseType        string   `json:"response_type"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
}

// scopes are what a typical relying party asks for; groups is what
// Grafana's role mapping or oauth2-proxy's allowed groups decide by.
var scopes = []string{"openid", "profile", "email", "groups"}

// benchGroups are the groups every benchmark user is in, created with the
// client: a person's groups and a group's custom claim go into the ID
// token and userinfo, as for most people signing in.
var benchGroups = []store.Group{
	{Name: "bench-staff"},
	{Name: "bench-engineering", CustomClaims: map[string]json.RawMessage{"role": json.RawMessage(`"engineer"`)}},
	{Name: "bench-oncall"},
}

// amr is what the provider records for a passkey sign-in (RFC 8176).
var amr = []string{"hwk", "user"}

func main() {
	database := flag.String("database", "", "SQLite file path or postgres:// URL (required)")
	clientFile := flag.String("client", "", "client file: read if it exists, else the client is created and written there (required)")
	users := flag.Int("users", 1000, "codes are for users 0..users-1 of bench/internal/dataset, at random")
	codes := flag.Int("codes", 0, "authorization codes to mint")
	out := flag.String("out", "", "file the codes are written to, one a line (required with -codes)")
	ttl := flag.Duration("ttl", time.Hour, "how long the codes stay redeemable")
	batch := flag.Int("batch", 500, "codes per transaction")
	groups := flag.Int("groups", len(benchGroups), "groups the users join when the client is created (0 to 3); with 0 the codes do not ask for the groups scope")
	flag.Parse()
	if *groups < 0 || *groups > len(benchGroups) {
		fmt.Fprintf(os.Stderr, "oidcseed: -groups must be 0 to %d\n", len(benchGroups))
		os.Exit(2)
	}
	if *groups == 0 {
		scopes = slices.DeleteFunc(scopes, func(s string) bool { return s == "groups" })
	}
	if err := run(*database, *clientFile, *users, *codes, *out, *ttl, *batch, benchGroups[:*groups]); err != nil {
		fmt.Fprintln(os.Stderr, "oidcseed:", err)
		os.Exit(1)
	}
}

func run(database, clientFile string, users, codes int, out string, ttl time.Duration, batch int, groups []store.Group) error {
	if database == "" || clientFile == "" {
		return errors.New("-database and -client are required")
	}
	if users < 1 || codes < 0 || batch < 1 || ttl <= 0 || (codes > 0 && out == "") {
		return errors.New("need -users >= 1, -codes >= 0 (with -out), -batch >= 1 and a positive -ttl")
	}
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, database, sqlstore.WithMaxConns(2))
	if err != nil {
		return err
	}
	defer st.Close()
	cl, err := client(ctx, st, clientFile, users, groups)
	if err != nil {
		return err
	}
	if codes == 0 {
		return nil
	}
	start := time.Now()
	var lines strings.Builder
	for lo := 0; lo < codes; lo += batch {
		n := min(batch, codes-lo)
		err := st.Atomic(ctx, func(tx store.Store) error {
			o := tx.(store.OIDCStore)
			for range n {
				code, err := mint(ctx, o, cl, dataset.ID(mrand.IntN(users)), ttl)
				if err != nil {
					return err
				}
				lines.WriteString(code)
				lines.WriteByte('\n')
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("minting codes %d-%d: %w", lo, lo+n-1, err)
		}
	}
	if err := os.WriteFile(out, []byte(lines.String()), 0o600); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "oidcseed: minted %d codes in %s, %.0f codes/s\n", codes, el.Round(time.Millisecond), float64(codes)/el.Seconds())
	return nil
}

// client reads the client file, or creates the client, puts users
// 0..users-1 in groups and writes the file.
func client(ctx context.Context, st *sqlstore.Store, path string, users int, groups []store.Group) (Client, error) {
	o := store.OIDCStore(st)
	var cl Client
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &cl); err != nil {
			return cl, fmt.Errorf("%s: %w", path, err)
		}
		if _, err := o.GetOIDCClient(ctx, cl.ID); err != nil {
			return cl, fmt.Errorf("client %s of %s: %w", cl.ID, path, err)
		}
		return cl, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return cl, err
	}
	members := make([]string, users)
	for i := range members {
		members[i] = dataset.ID(i)
	}
	for _, g := range groups {
		g.MemberIDs = members
		if _, err := st.CreateGroup(ctx, g, store.Meta{ActorName: "bench-oidcseed"}); err != nil {
			return cl, fmt.Errorf("creating the group %s: %w", g.Name, err)
		}
	}
	cl = Client{Secret: random(32), RedirectURI: "http://127.0.0.1:9/callback", CodeVerifier: random(48)}
	h := sha256.Sum256([]byte(cl.Secret))
	created, err := o.CreateOIDCClient(ctx, store.OIDCClient{
		Name:         "OpenID Connect benchmark",
		RedirectURIs: []string{cl.RedirectURI},
		GrantTypes:   []string{"authorization_code"},
		SkipConsent:  true,
		Secrets:      []store.OIDCClientSecret{{Hash: h[:]}},
	}, store.Meta{ActorName: "bench-oidcseed"})
	if err != nil {
		return cl, fmt.Errorf("creating the client: %w", err)
	}
	cl.ID = created.ID
	b, err = json.Marshal(cl)
	if err != nil {
		return cl, err
	}
	// O_EXCL: never overwrite a secret another run wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return cl, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return cl, err
	}
	return cl, f.Close()
}

// mint makes one authorization code for userID, as the authorize
// endpoint, the sign-in and the library's SaveAuthCode would.
func mint(ctx context.Context, o store.OIDCStore, cl Client, userID string, ttl time.Duration) (string, error) {
	challenge := sha256.Sum256([]byte(cl.CodeVerifier))
	p, err := json.Marshal(authParams{
		RedirectURI: cl.RedirectURI, Nonce: random(16), Scopes: scopes, ResponseType: "code",
		CodeChallenge: base64.RawURLEncoding.EncodeToString(challenge[:]), CodeChallengeMethod: "S256",
	})
	if err != nil {
		return "", err
	}
	now := time.Now()
	req, err := o.CreateOIDCAuthRequest(ctx, store.OIDCAuthRequest{ClientID: cl.ID, Params: p, ExpiresAt: now.Add(ttl)})
	if err != nil {
		return "", err
	}
	if err := o.CompleteOIDCAuthRequest(ctx, req.ID, store.OIDCAuthDone{UserID: userID, AuthTime: now, AMR: amr},
		store.Meta{ActorName: "bench-oidcseed"}); err != nil {
		return "", err
	}
	code := random(32)
	h := sha256.Sum256([]byte(code))
	if err := o.SaveOIDCAuthCode(ctx, req.ID, h[:], now.Add(ttl)); err != nil {
		return "", err
	}
	return code, nil
}

// random returns n random bytes as base64url: secrets, verifiers, codes.
func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
