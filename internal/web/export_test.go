package web

// SafeNext is safeNext, for the table of redirect bypasses in web_test.
var SafeNext = safeNext
