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
	return g.check(p.Public(), func(c Claims) error {
		if !c.Role.Can(p) {
			return fmt.Errorf("%w: %s may not %s", ErrForbidden, c.Role, p)
		}
		return nil
	})
}

// Authenticated returns the middleware for a route open to every valid
// token, whatever its role (a caller asking who they are).
func (g *Guard) Authenticated() gin.HandlerFunc {
	return g.check(false, func(Claims) error { return nil })
}

// check lets a request through when it has a valid token that allow
// accepts, or no token at all when public.
func (g *Guard) check(public bool, allow func(Claims) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, err := g.authenticate(c.Request)
		switch {
		case errors.Is(err, ErrNoToken) && public:
		case err != nil:
			// RFC 6750 §3: a 401 names the scheme the client should use.
			c.Header("WWW-Authenticate", `Bearer realm="parvaneh"`)
			g.refuse(c, err)
			c.Abort()
			return
		default:
			if err := allow(claims); err != nil {
				g.refuse(c, err)
				c.Abort()
				return
			}
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
