package server_test

import (
	"github.com/google/uuid"
	"github.com/rollcall/rollcall/internal/store"
)

func storeTokenFilter(userID string) store.TokenFilter { return store.TokenFilter{UserID: userID} }
func storePage() store.Page                            { return store.Page{Limit: 1000} }
func storeMeta() store.Meta                            { return store.Meta{ActorName: "test"} }
func storeGroup(name string) store.Group {
	return store.Group{ID: uuid.NewString(), Name: name, Attributes: map[string]string{}}
}
