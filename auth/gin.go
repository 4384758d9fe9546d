package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Guard lets a request through when its bearer token's role holds the
// permission of the route. How a refusal is answered is the caller's: the
// API writes its own error body.
type Guard struct {
	verifier Verifier
	refuse   func(c *gin.Context, err error)
}

// NewGuard builds a guard checking tokens with v. It refuses a verifier
// without a usable secret, so no server starts protected routes that no
// token could pass (or, with an empty key, any forger could). refuse answers
// a refused request; its error wraps ErrNoToken, ErrMalformed,
// ErrBadSignature, ErrExpired or ErrUnknownRole (answer 401), or ErrForbidden
// (answer 403).
func NewGuard(v Verifier, refuse func(c *gin.Context, err error)) (*Guard, error) {
	if err := checkSecret(v.Secret); err != nil {
		return nil, fmt.Errorf("protecting routes: %w", err)
	}
	if refuse == nil {
		return nil, errors.New("protecting routes: no way to answer a refusal")
	}
	return &Guard{verifier: v, refuse: refuse}, nil
}

// Require returns the middleware for a route needing permission p. The
// caller's claims are put in the request's context (see ClaimsFrom). A public
// permission lets a request without a token through; a token that is sent
// must still be valid, so a client is never silently treated as anonymous.
func (g *Guard) Require(p Permission) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, err := g.authenticate(c.Request)
		switch {
		case errors.Is(err, ErrNoToken) && p.Public():
		case err != nil:
			// RFC 6750 §3: a 401 names the scheme the client should use.
			c.Header("WWW-Authenticate", `Bearer realm="parvaneh"`)
			g.refuse(c, err)
			c.Abort()
			return
		case !claims.Role.Can(p):
			g.refuse(c, fmt.Errorf("%w: %s may not %s", ErrForbidden, claims.Role, p))
			c.Abort()
			return
		default:
			c.Request = c.Request.WithContext(WithClaims(c.Request.Context(), claims))
		}
		c.Next()
	}
}

func (g *Guard) authenticate(r *http.Request) (Claims, error) {
	tok, err := BearerToken(r.Header.Get("Authorization"))
	if err != nil {
		return Claims{}, err
	}
	return g.verifier.Verify(tok)
}

// BearerToken takes the token out of an Authorization header's value
// ("Bearer TOKEN", the scheme in any case, RFC 7235 §2.1).
func BearerToken(header string) (string, error) {
	if header == "" {
		return "", ErrNoToken
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", fmt.Errorf("%w: want the header Authorization: Bearer TOKEN", ErrMalformed)
	}
	return strings.TrimSpace(tok), nil
}

type claimsKey struct{}

// WithClaims returns ctx carrying the caller's claims.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the caller's claims, if a token was verified for this
// request; false for an anonymous caller of a public route.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}
