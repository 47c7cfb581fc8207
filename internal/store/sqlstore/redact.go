package sqlstore

import (
	"net/url"
	"regexp"
	"strings"
)

// redacted stands for a secret in a DSN that is logged or put in an error,
// as url.URL.Redacted writes it.
const redacted = "xxxxx"

// RedactDSN returns dsn with every secret in it replaced by "xxxxx", so that
// it can be logged or put in an error message: the password of a URL's user
// info, and the value of every parameter whose name contains "password"
// (password, sslpassword) whether in a URL's query or in a key=value
// connection string, quoted or not. Paths such as sslkey and sslrootcert
// are kept: they say where a secret is, not what it is.
func RedactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		return redactURL(dsn)
	}
	if isConninfo(dsn) {
		return conninfoSecret.ReplaceAllString(dsn, "${1}"+redacted)
	}
	// An SQLite path: only what follows '?' could hold a secret.
	if name, query, ok := strings.Cut(dsn, "?"); ok {
		return name + "?" + querySecret.ReplaceAllString(query, "${1}"+redacted)
	}
	return dsn
}

var (
	// querySecret matches a password parameter of a URL query up to its
	// value, which runs to the next '&'.
	querySecret = regexp.MustCompile(`(?i)((?:^|[&;])[^=&;]*password[^=&;]*=)[^&;]*`)
	// conninfoSecret matches a password keyword of a key=value connection
	// string (libpq's syntax: spaces around '=' allowed, a value is either
	// single-quoted with backslash escapes or runs to the next space).
	conninfoSecret = regexp.MustCompile(`(?i)((?:^|\s)\w*password\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S*)`)
	// conninfoStart matches the start of a key=value connection string:
	// one of libpq's keywords and '='.
	conninfoStart = regexp.MustCompile(`^\s*(?:host|hostaddr|port|dbname|user|password|passfile|sslmode|sslpassword|sslcert|sslkey|sslrootcert|connect_timeout|application_name|options|service|target_session_attrs)\s*=`)
)

// isConninfo reports whether dsn is a PostgreSQL key=value connection string
// such as "host=db.internal dbname=rollcall user=rollcall password=…".
func isConninfo(dsn string) bool { return conninfoStart.MatchString(dsn) }

// redactURL redacts a URL's password and password parameters; a URL that
// does not parse loses everything between "://" and the host.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		scheme, rest, _ := strings.Cut(dsn, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = redacted + rest[at:]
		}
		rest, query, hasQuery := strings.Cut(rest, "?")
		if hasQuery {
			rest += "?" + querySecret.ReplaceAllString(query, "${1}"+redacted)
		}
		return scheme + "://" + rest
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	u.RawQuery = querySecret.ReplaceAllString(u.RawQuery, "${1}"+redacted)
	return u.String()
}

// dsnSecrets returns the secrets in dsn as they were given and as they
// would be decoded, so that an error message from a driver can be cleaned
// of them even when the driver quotes the DSN in its own way.
func dsnSecrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 { // shorter strings would blot out ordinary words
			out = append(out, s)
		}
	}
	addQuery := func(q string) {
		for _, m := range querySecret.FindAllStringSubmatchIndex(q, -1) {
			v := q[m[3]:]
			if i := strings.IndexAny(v, "&;"); i >= 0 {
				v = v[:i]
			}
			add(v)
			if d, err := url.QueryUnescape(v); err == nil {
				add(d)
			}
		}
	}
	switch {
	case strings.Contains(dsn, "://"):
		_, rest, _ := strings.Cut(dsn, "://")
		hostPart, query, _ := strings.Cut(rest, "?")
		hostPart, _, _ = strings.Cut(hostPart, "/")
		if at := strings.LastIndex(hostPart, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(hostPart[:at], ":"); ok {
				add(pw)
				if d, err := url.PathUnescape(pw); err == nil {
					add(d)
				}
			}
		}
		addQuery(query)
	case isConninfo(dsn):
		for _, m := range conninfoSecret.FindAllStringSubmatch(dsn, -1) {
			v := m[2]
			add(v)
			if strings.HasPrefix(v, "'") {
				v = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
				add(v)
				add(strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v))
			}
		}
	default:
		if _, query, ok := strings.Cut(dsn, "?"); ok {
			addQuery(query)
		}
	}
	return out
}

// secretFreeError is an error whose message has had a DSN's secrets
// replaced, for errors from drivers that may quote the DSN they were given.
type secretFreeError struct {
	err     error
	secrets []string
}

func (e *secretFreeError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, redacted)
	}
	return msg
}

func (e *secretFreeError) Unwrap() error { return e.err }

// withoutSecrets wraps err so that its message cannot show dsn's secrets.
func withoutSecrets(err error, dsn string) error {
	if err == nil {
		return nil
	}
	secrets := dsnSecrets(dsn)
	if len(secrets) == 0 {
		return err
	}
	return &secretFreeError{err: err, secrets: secrets}
}
