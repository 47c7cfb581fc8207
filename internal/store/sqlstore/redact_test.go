package sqlstore

import (
	"errors"
	"strings"
	"testing"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://rc:s3cret@db:5432/rollcall?sslmode=require", "postgres://rc:xxxxx@db:5432/rollcall?sslmode=require"},
		{"postgres://rc@db/rollcall?sslmode=require&password=s3cret", "postgres://rc@db/rollcall?sslmode=require&password=xxxxx"},
		{"postgresql://db/rollcall?password=s3cret&user=rc&sslpassword=k3y&sslkey=/etc/rc.key", "postgresql://db/rollcall?password=xxxxx&user=rc&sslpassword=xxxxx&sslkey=/etc/rc.key"},
		{"postgres://rc:s3cret@db:notaport/rollcall?password=s3cret2", "postgres://xxxxx@db:notaport/rollcall?password=xxxxx"},
		{"host=db user=rc password=s3cret dbname=rollcall", "host=db user=rc password=xxxxx dbname=rollcall"},
		{"host=db password = s3cret dbname=rollcall", "host=db password = xxxxx dbname=rollcall"},
		{`host=db password='s3 cr\'et' dbname=rollcall sslpassword='k 3y' sslkey=/etc/rc.key`, "host=db password=xxxxx dbname=rollcall sslpassword=xxxxx sslkey=/etc/rc.key"},
		{"password=s3cret host=db", "password=xxxxx host=db"},
		{"./rollcall.db?_pragma=cache_size(-65536)", "./rollcall.db?_pragma=cache_size(-65536)"},
		{"./rollcall.db", "./rollcall.db"},
	} {
		if got := RedactDSN(tc.dsn); got != tc.want {
			t.Errorf("RedactDSN(%q)\n = %q\nwant %q", tc.dsn, got, tc.want)
		}
	}
}

func TestWithoutSecrets(t *testing.T) {
	for _, tc := range []struct{ dsn, quoted string }{
		{"postgres://rc:s3%2Fcret@db/rollcall", "s3/cret"},
		{"postgres://rc@db/rollcall?password=s3%20cret", "s3 cret"},
		{`host=db password='s3 cr\'et'`, `s3 cr'et`},
		{`host=db password='s3 cr\'et'`, `'s3 cr\'et'`},
	} {
		inner := errors.New("cannot connect with " + tc.quoted + " to db")
		err := withoutSecrets(inner, tc.dsn)
		if strings.Contains(err.Error(), tc.quoted) || !errors.Is(err, inner) {
			t.Errorf("withoutSecrets(%q): %q", tc.dsn, err)
		}
	}
}

func TestIsPostgres(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://db/rc": true, "postgresql://db/rc": true, "host=db dbname=rc": true, " dbname = rc": true,
		"./rollcall.db": false, "rollcall.db?_pragma=foreign_keys(1)": false, "file:rc.db?mode=memory": false, "hosts.db": false,
	} {
		if got := IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", dsn, got, want)
		}
	}
}
