// Package crashtest holds Rollcall's crash-safety test: it runs the real
// `rollcall serve` binary, kills it with SIGKILL in the middle of a storm
// of writes, starts it again on the same database, and checks that every
// write the server acknowledged is there and that no write is half there.
// It has no code outside its test.
package crashtest
