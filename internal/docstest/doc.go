// Package docstest holds tests of the repository's own documents: the
// shell blocks of README.md and docs/ run as written against a real
// server, and the checkout stays clean of what those commands leave behind.
// It has no code of its own.
package docstest
