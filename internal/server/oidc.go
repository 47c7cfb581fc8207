package server

import (
	"context"
	"net/http"
	"time"

	"github.com/rollcall/rollcall/internal/oidc"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/web"
)

// mountOIDC adds the OpenID Connect provider (issuer = the public URL)
// when the store keeps its state (store.OIDCStore, which sqlstore does).
func (s *Server) mountOIDC(mux *http.ServeMux, pages *web.Handler) error {
	if _, ok := s.store.(store.OIDCStore); !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := oidc.New(ctx, oidc.Options{
		Store:       s.store,
		Issuer:      s.cfg.PublicURL,
		Pages:       pages,
		RequestMeta: func(r *http.Request) (string, string) { return requestID(r.Context()), clientIP(r) },
		Logger:      s.log,
	})
	if err != nil {
		return err
	}
	p.Register(mux)
	s.oidc = p
	return nil
}
