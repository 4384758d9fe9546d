package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// EnvSecret names the environment variable holding the token secret, shared
// by "parvaneh token" (which signs) and the server (which verifies).
const EnvSecret = "PARVANEH_TOKEN_SECRET"

// MinSecretBytes is the shortest secret taken: RFC 7518 §3.2 wants an HS256
// key at least as long as the hash, 32 bytes.
const MinSecretBytes = 32

// maxTokenBytes bounds what the parser reads: our tokens are a few hundred
// bytes, and a huge header must not cost a huge decode.
const maxTokenBytes = 4096

// maxUserBytes bounds a user id; ids are short codes, not prose.
const maxUserBytes = 128

// issuerName is every token's "iss": a token signed with the same secret by
// something else is still not ours.
const issuerName = "parvaneh"

// clockSkew is how far the signing machine's clock may differ from ours.
const clockSkew = 30 * time.Second

// Why a secret, token or request was refused. Errors from this package wrap
// exactly one of these, with what exactly was wrong after it.
var (
	ErrSecret       = errors.New("no usable token secret")
	ErrNoToken      = errors.New("no bearer token")
	ErrMalformed    = errors.New("malformed token")
	ErrBadSignature = errors.New("token not signed by this server")
	ErrExpired      = errors.New("token expired")
	ErrUnknownRole  = errors.New("unknown role")
	ErrForbidden    = errors.New("role not allowed")
)

// Claims is what a verified token says about its bearer.
type Claims struct {
	User      string // the user's id (the token's "sub")
	Role      Role
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// tokenClaims is the JWT payload: the registered claims and the role.
type tokenClaims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// SecretFromEnv reads the token secret from EnvSecret and refuses a missing
// or short one.
func SecretFromEnv(getenv func(string) string) ([]byte, error) {
	s := []byte(getenv(EnvSecret))
	if err := checkSecret(s); err != nil {
		return nil, fmt.Errorf("reading %s: %w", EnvSecret, err)
	}
	return s, nil
}

func checkSecret(s []byte) error {
	if len(s) < MinSecretBytes {
		return fmt.Errorf("%w: %d bytes, want at least %d (e.g. openssl rand -base64 48)", ErrSecret, len(s), MinSecretBytes)
	}
	return nil
}

// checkUser refuses a user id that could not be told apart from another in
// a log or a record: empty, padded, with control characters, or overlong.
func checkUser(u string) error {
	switch {
	case u == "":
		return errors.New("empty user id")
	case len(u) > maxUserBytes:
		return fmt.Errorf("user id of %d bytes, want at most %d", len(u), maxUserBytes)
	case strings.TrimSpace(u) != u:
		return fmt.Errorf("user id %q has leading or trailing space", u)
	case strings.ContainsFunc(u, unicode.IsControl):
		return fmt.Errorf("user id %q has a control character", u)
	}
	return nil
}

// Issuer signs tokens.
type Issuer struct {
	Secret []byte
	// TTL is how long a token is good for.
	TTL time.Duration
	// Now is the issue time; time.Now when nil.
	Now func() time.Time
}

// Issue signs a token saying user holds role, good from now for TTL.
func (is Issuer) Issue(user string, role Role) (string, error) {
	if err := checkSecret(is.Secret); err != nil {
		return "", fmt.Errorf("issuing a token: %w", err)
	}
	if err := checkUser(user); err != nil {
		return "", fmt.Errorf("issuing a token: %w", err)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", fmt.Errorf("issuing a token: %w", err)
	}
	if is.TTL < time.Second {
		return "", fmt.Errorf("issuing a token: lifetime %v, want at least 1s", is.TTL)
	}
	now := time.Now
	if is.Now != nil {
		now = is.Now
	}
	// JWT times are whole seconds; truncating here makes Claims round-trip.
	t := now().Truncate(time.Second)
	c := tokenClaims{Role: string(role), RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    issuerName,
		Subject:   user,
		IssuedAt:  jwt.NewNumericDate(t),
		ExpiresAt: jwt.NewNumericDate(t.Add(is.TTL)),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(is.Secret)
	if err != nil {
		return "", fmt.Errorf("signing a token for %s: %w", user, err)
	}
	return tok, nil
}

// Verifier checks tokens signed with its secret.
type Verifier struct {
	Secret []byte
	// Now is the time tokens are checked at; time.Now when nil.
	Now func() time.Time
}

// Verify checks a token's signature (HS256 only), issuer, times, subject and
// role, and returns its claims. The error wraps ErrMalformed, ErrBadSignature,
// ErrExpired or ErrUnknownRole (or ErrSecret for a Verifier without a usable
// secret, which accepts nothing).
func (v Verifier) Verify(token string) (Claims, error) {
	if err := checkSecret(v.Secret); err != nil {
		return Claims{}, fmt.Errorf("verifying a token: %w", err)
	}
	if len(token) > maxTokenBytes {
		return Claims{}, fmt.Errorf("%w: %d bytes, want at most %d", ErrMalformed, len(token), maxTokenBytes)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	p := jwt.NewParser(
		// Naming the one method refuses "none" and every other algorithm
		// before any key is used.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuerName),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(now),
	)
	var c tokenClaims
	_, err := p.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.Secret, nil })
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Claims{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, fmt.Errorf("%w at %s", ErrExpired, c.ExpiresAt.UTC().Format(time.RFC3339))
	default:
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if c.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: no issue time (iat)", ErrMalformed)
	}
	if err := checkUser(c.Subject); err != nil {
		return Claims{}, fmt.Errorf("%w: subject: %v", ErrMalformed, err)
	}
	role, err := ParseRole(c.Role)
	if err != nil {
		return Claims{}, err
	}
	return Claims{User: c.Subject, Role: role, IssuedAt: c.IssuedAt.Time, ExpiresAt: c.ExpiresAt.Time}, nil
}
