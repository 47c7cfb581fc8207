package api

import "time"

// SessionAttributes describe a signed-in browser, so that an admin can see
// where a person is signed in before ending it. The session's cookie
// secret and its hash are never part of it.
type SessionAttributes struct {
	CreatedAt  time.Time `json:"created-at"`
	LastSeenAt time.Time `json:"last-seen-at"` // written at most every five minutes
	ExpiresAt  time.Time `json:"expires-at"`
	UserAgent  string    `json:"user-agent"` // as the browser sent it at sign-in (first 512 bytes)
	ClientIP   string    `json:"client-ip"`  // where the sign-in came from
}

// Session is a sessions resource object; its id is a random id of its own.
type Session struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Attributes SessionAttributes `json:"attributes"`
}
