package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

// refuseLikeAPI answers as the API will: 401 unauthenticated or
// token_expired, 403 forbidden, in the API's error envelope.
func refuseLikeAPI(c *gin.Context, err error) {
	status, code := http.StatusUnauthorized, "unauthenticated"
	switch {
	case errors.Is(err, ErrForbidden):
		status, code = http.StatusForbidden, "forbidden"
	case errors.Is(err, ErrExpired):
		code = "token_expired"
	}
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "detail": err.Error()}})
}

// anyToken is the path engine serves for every valid token.
const anyToken = "any_token"

// engine serves GET /PERMISSION for every permission and GET /any_token
// (Authenticated), each answering who called.
func engine(t *testing.T, now time.Time) *gin.Engine {
	t.Helper()
	g, err := NewGuard(Verifier{Secret: secret, Now: at(now)}, refuseLikeAPI)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	who := func(c *gin.Context) {
		cl, ok := ClaimsFrom(c.Request.Context())
		c.JSON(http.StatusOK, gin.H{"user": cl.User, "role": cl.Role, "known": ok})
	}
	for _, p := range Permissions() {
		r.GET("/"+string(p), g.Require(p), who)
	}
	r.GET("/"+anyToken, g.Authenticated(), who)
	return r
}

type answer struct {
	User  string `json:"user"`
	Role  Role   `json:"role"`
	Known bool   `json:"known"`
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

func TestRequire(t *testing.T) {
	e := engine(t, t0)
	issue := func(user string, r Role) string {
		tok, err := Issuer{Secret: secret, TTL: time.Hour, Now: at(t0)}.Issue(user, r)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	type caller struct {
		name, header string
		role         Role // the token's role, for a valid token
	}
	callers := []caller{{name: "no token"}}
	for _, r := range Roles() {
		callers = append(callers, caller{string(r), issue("u-"+string(r), r), r})
	}
	expired, err := Issuer{Secret: secret, TTL: time.Hour, Now: at(t0.Add(-2 * time.Hour))}.Issue("u-1", Staff)
	if err != nil {
		t.Fatal(err)
	}
	unknownRole := sign(t, jwt.SigningMethodHS256, secret, with("role", "mayor"))
	forged := sign(t, jwt.SigningMethodHS256, []byte("another secret of thirty-two bytes!"), with("role", "admin"))
	bad := []caller{
		{name: "expired", header: "Bearer " + expired},
		{name: "unknown role", header: "Bearer " + unknownRole},
		{name: "forged", header: "Bearer " + forged},
		{name: "basic", header: "Basic dTpw"},
		{name: "empty bearer", header: "Bearer "},
		{name: "garbage", header: "Bearer not.a.token"},
	}
	callers = append(callers, bad...)

	for _, p := range append(Permissions(), anyToken) {
		for _, c := range callers {
			req := httptest.NewRequest(http.MethodGet, "/"+string(p), nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			var got answer
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s by %s: body %q: %v", p, c.name, rec.Body, err)
			}

			wantStatus, wantCode := http.StatusOK, ""
			switch {
			case c.role != "" && p != anyToken && !wantCan(c.role, p):
				wantStatus, wantCode = http.StatusForbidden, "forbidden"
			case c.role != "":
			case c.name == "no token" && p.Public():
			case c.name == "expired":
				wantStatus, wantCode = http.StatusUnauthorized, "token_expired"
			default:
				wantStatus, wantCode = http.StatusUnauthorized, "unauthenticated"
			}
			if rec.Code != wantStatus || got.Error.Code != wantCode {
				t.Errorf("%s by %s: %d %q, want %d %q (%s)", p, c.name, rec.Code, got.Error.Code, wantStatus, wantCode, rec.Body)
			}
			if www := rec.Header().Get("WWW-Authenticate"); (wantStatus == http.StatusUnauthorized) != (www != "") {
				t.Errorf("%s by %s: %d with WWW-Authenticate %q", p, c.name, rec.Code, www)
			}
			if wantStatus == http.StatusOK {
				want := answer{Known: c.role != "", Role: c.role}
				if c.role != "" {
					want.User = "u-" + string(c.role)
				}
				if got != want {
					t.Errorf("%s by %s: the handler saw %+v, want %+v", p, c.name, got, want)
				}
			}
		}
	}
}

func TestNewGuardRefusals(t *testing.T) {
	if _, err := NewGuard(Verifier{Secret: secret[:31]}, refuseLikeAPI); !errors.Is(err, ErrSecret) {
		t.Errorf("a 31-byte secret: %v, want ErrSecret", err)
	}
	if _, err := NewGuard(Verifier{}, refuseLikeAPI); !errors.Is(err, ErrSecret) {
		t.Errorf("no secret: %v, want ErrSecret", err)
	}
	if _, err := NewGuard(Verifier{Secret: secret}, nil); err == nil {
		t.Error("a guard without a way to refuse")
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		err          error
	}{
		{"Bearer abc", "abc", nil},
		{"bearer abc", "abc", nil},
		{"BEARER  abc ", "abc", nil},
		{"", "", ErrNoToken},
		{"Bearer", "", ErrMalformed},
		{"Bearer   ", "", ErrMalformed},
		{"Basic dTpw", "", ErrMalformed},
		{"Bearerabc", "", ErrMalformed},
	} {
		got, err := BearerToken(tc.header)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.header, got, err, tc.want, tc.err)
		}
	}
}
