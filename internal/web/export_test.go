package web

import "testing"

// SafeNext is safeNext, for the table of redirect bypasses in web_test.
var SafeNext = safeNext

// SetUserCountLimit makes the user list stop counting matches at n, as it
// does at 10,000, until the test ends.
func SetUserCountLimit(t testing.TB, n int) {
	old := userCountLimit
	userCountLimit = n
	t.Cleanup(func() { userCountLimit = old })
}
