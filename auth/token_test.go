package auth

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef-test")
	t0     = time.Date(2025, 3, 21, 9, 30, 0, 0, time.UTC)
)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// sign makes a token with any claims and method, for the refusals.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// good is the payload of a valid token, to vary one claim at a time.
func good() jwt.MapClaims {
	return jwt.MapClaims{"iss": "parvaneh", "sub": "u-17", "role": "staff",
		"iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix()}
}

func with(k string, v any) jwt.MapClaims {
	c := good()
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

func TestIssueVerify(t *testing.T) {
	for _, r := range Roles() {
		tok, err := Issuer{Secret: secret, TTL: 24 * time.Hour, Now: at(t0.Add(400 * time.Millisecond))}.Issue("u-"+string(r), r)
		if err != nil {
			t.Fatalf("Issue(%s): %v", r, err)
		}
		got, err := Verifier{Secret: secret, Now: at(t0.Add(23 * time.Hour))}.Verify(tok)
		want := Claims{User: "u-" + string(r), Role: r, IssuedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
		if err != nil || !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.User != want.User || got.Role != want.Role {
			t.Errorf("Verify(Issue(%s)) = %+v, %v; want %+v", r, got, err, want)
		}
	}
	// Persian user ids are ids like any other.
	tok, err := Issuer{Secret: secret, TTL: time.Hour}.Issue("مهندس-۱۲", Engineer)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := (Verifier{Secret: secret}).Verify(tok); err != nil || c.User != "مهندس-۱۲" {
		t.Errorf("Verify = %+v, %v", c, err)
	}
}

func TestIssueRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		is   Issuer
		user string
		role Role
		want string
	}{
		{"no secret", Issuer{TTL: time.Hour}, "u", Staff, "no usable token secret: 0 bytes"},
		{"short secret", Issuer{Secret: secret[:31], TTL: time.Hour}, "u", Staff, "31 bytes, want at least 32"},
		{"empty user", Issuer{Secret: secret, TTL: time.Hour}, "", Staff, "empty user id"},
		{"padded user", Issuer{Secret: secret, TTL: time.Hour}, " u", Staff, "leading or trailing space"},
		{"control in user", Issuer{Secret: secret, TTL: time.Hour}, "u\n2", Staff, "control character"},
		{"long user", Issuer{Secret: secret, TTL: time.Hour}, strings.Repeat("u", 129), Staff, "129 bytes"},
		{"unknown role", Issuer{Secret: secret, TTL: time.Hour}, "u", "mayor", `unknown role "mayor"`},
		{"no ttl", Issuer{Secret: secret}, "u", Staff, "lifetime 0s"},
		{"negative ttl", Issuer{Secret: secret, TTL: -time.Hour}, "u", Staff, "lifetime -1h0m0s"},
	} {
		tok, err := tc.is.Issue(tc.user, tc.role)
		if err == nil || !strings.Contains(err.Error(), tc.want) || tok != "" {
			t.Errorf("%s: Issue = %q, %v; want an error with %q", tc.name, tok, err, tc.want)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	valid := sign(t, jwt.SigningMethodHS256, secret, good())
	head, payload, sig := splitToken(t, valid)
	adminPayload := base64.RawURLEncoding.EncodeToString([]byte(
		`{"exp":` + strconv.FormatInt(t0.Add(time.Hour).Unix(), 10) + `,"iat":` + strconv.FormatInt(t0.Unix(), 10) + `,"iss":"parvaneh","role":"admin","sub":"u-17"}`))
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good())
	flipped := []byte(sig)
	// Another base64 letter, so the signature still decodes but differs.
	if flipped[3] == 'A' {
		flipped[3] = 'B'
	} else {
		flipped[3] = 'A'
	}
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, secret, with("exp", t0.Add(-time.Hour).Unix())), ErrExpired},
		{"tampered payload", head + "." + adminPayload + "." + sig, ErrBadSignature},
		{"tampered signature", head + "." + payload + "." + string(flipped), ErrBadSignature},
		{"no signature", head + "." + payload + ".", ErrBadSignature},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another secret of thirty-two bytes!"), good()), ErrBadSignature},
		{"alg none", noneTok, ErrBadSignature},
		{"alg HS512, same secret", sign(t, jwt.SigningMethodHS512, secret, good()), ErrBadSignature},
		{"expired and wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another secret of thirty-two bytes!"), with("exp", 1)), ErrBadSignature},
		{"unknown role", sign(t, jwt.SigningMethodHS256, secret, with("role", "mayor")), ErrUnknownRole},
		{"no role", sign(t, jwt.SigningMethodHS256, secret, with("role", nil)), ErrUnknownRole},
		{"role a number", sign(t, jwt.SigningMethodHS256, secret, with("role", 3)), ErrMalformed},
		{"no expiry", sign(t, jwt.SigningMethodHS256, secret, with("exp", nil)), ErrMalformed},
		{"no issue time", sign(t, jwt.SigningMethodHS256, secret, with("iat", nil)), ErrMalformed},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, with("iat", t0.Add(time.Minute).Unix())), ErrMalformed},
		{"no subject", sign(t, jwt.SigningMethodHS256, secret, with("sub", nil)), ErrMalformed},
		{"padded subject", sign(t, jwt.SigningMethodHS256, secret, with("sub", "u-17 ")), ErrMalformed},
		{"other issuer", sign(t, jwt.SigningMethodHS256, secret, with("iss", "elsewhere")), ErrMalformed},
		{"no issuer", sign(t, jwt.SigningMethodHS256, secret, with("iss", nil)), ErrMalformed},
		{"empty", "", ErrMalformed},
		{"two parts", head + "." + payload, ErrMalformed},
		{"not base64", "a.b.c", ErrMalformed},
		{"huge", valid + strings.Repeat("A", 5000), ErrMalformed},
	} {
		c, err := Verifier{Secret: secret, Now: at(t0)}.Verify(tc.token)
		if !errors.Is(err, tc.want) || c != (Claims{}) {
			t.Errorf("%s: Verify = %+v, %v; want %v", tc.name, c, err, tc.want)
		}
	}
	// Within the clock skew a token is still good, beyond it expired.
	exp := t0.Add(time.Hour)
	if _, err := (Verifier{Secret: secret, Now: at(exp.Add(clockSkew - time.Second))}).Verify(valid); err != nil {
		t.Errorf("just within the skew: %v", err)
	}
	if _, err := (Verifier{Secret: secret, Now: at(exp.Add(clockSkew + time.Second))}).Verify(valid); !errors.Is(err, ErrExpired) {
		t.Errorf("beyond the skew: %v, want ErrExpired", err)
	}
	if _, err := (Verifier{Secret: secret[:8]}).Verify(valid); !errors.Is(err, ErrSecret) {
		t.Errorf("a short secret verifies: %v", err)
	}
}

func splitToken(t *testing.T, tok string) (string, string, string) {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("token %q has %d parts", tok, len(p))
	}
	return p[0], p[1], p[2]
}

func TestSecretFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvSecret {
				return v
			}
			return ""
		}
	}
	if s, err := SecretFromEnv(env(string(secret))); err != nil || string(s) != string(secret) {
		t.Errorf("SecretFromEnv = %q, %v", s, err)
	}
	for _, v := range []string{"", "short"} {
		if _, err := SecretFromEnv(env(v)); !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), EnvSecret) {
			t.Errorf("SecretFromEnv(%q) = %v, want ErrSecret naming %s", v, err, EnvSecret)
		}
	}
}

// FuzzVerify feeds the parser outside input: it must never panic, and a
// token it accepts must carry a known role and a sane user.
func FuzzVerify(f *testing.F) {
	tok, err := Issuer{Secret: secret, TTL: time.Hour, Now: at(t0)}.Issue("u-1", Commission)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{tok, "", ".", "..", "a.b.c", tok[:len(tok)-1], tok + "=",
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", strings.Replace(tok, ".", "..", 1)} {
		f.Add(s)
	}
	v := Verifier{Secret: secret, Now: at(t0)}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := v.Verify(s)
		if err != nil {
			for _, want := range []error{ErrMalformed, ErrBadSignature, ErrExpired, ErrUnknownRole} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("Verify(%q): %v wraps none of the package's reasons", s, err)
		}
		if !c.Role.Known() || checkUser(c.User) != nil {
			t.Fatalf("Verify(%q) accepted %+v", s, c)
		}
	})
}
