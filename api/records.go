package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/records"
)

// ApplicationRecords keeps permit applications; *records.Store is one.
type ApplicationRecords interface {
	File(ctx context.Context, by records.Actor, f records.Filing) (*records.Application, bool, error)
	PriorFiling(ctx context.Context, by records.Actor, key, applicant string, proposal []byte) (*records.Application, error)
	Get(ctx context.Context, by records.Actor, id int64) (*records.Application, error)
	Applications(ctx context.Context, by records.Actor, q records.Query) ([]records.Application, error)
	Transition(ctx context.Context, id int64, by records.Actor, to records.State, reason string) (*records.Application, error)
}

// CaseRecords keeps violation cases and certificates of no violation;
// *records.Store is one.
type CaseRecords interface {
	OpenCase(ctx context.Context, by records.Actor, f records.CaseFiling) (*records.Case, bool, error)
	PriorCase(ctx context.Context, by records.Actor, key string, document []byte) (*records.Case, error)
	Case(ctx context.Context, by records.Actor, id int64) (*records.Case, error)
	Cases(ctx context.Context, by records.Actor, q records.Query) ([]records.Case, error)
	Decide(ctx context.Context, id int64, by records.Actor, d records.DecisionInput) (*records.Case, error)
	CloseCase(ctx context.Context, id int64, by records.Actor, reason string) (*records.Case, error)
	IssueCertificate(ctx context.Context, by records.Actor, r records.CertificateRequest) (*records.Certificate, bool, error)
	Certificate(ctx context.Context, by records.Actor, id int64) (*records.Certificate, error)
}

// Records is the permit office's record the API reads and writes.
type Records interface {
	ApplicationRecords
	CaseRecords
	// Trail is the audit log's entries about a subject ("case/7").
	Trail(ctx context.Context, subject string) ([]records.Entry, error)
	Ping(ctx context.Context) error
}

// idempotencyHeader carries the client's key of a submission: a retry sends
// the same key and gets the first answer back.
const idempotencyHeader = "Idempotency-Key"

// Refuse answers a request the guard refused: 401 token_expired or
// unauthenticated (naming the Authorization header), 403 forbidden. It is
// the refusal to build the API's guard with: auth.NewGuard(v, api.Refuse).
func Refuse(c *gin.Context, err error) {
	var ae *apiError
	switch {
	case errors.Is(err, auth.ErrForbidden):
		ae = errForbidden.with("", err.Error())
	case errors.Is(err, auth.ErrExpired):
		ae = errTokenExpired.with("Authorization", err.Error())
	default:
		ae = errUnauthenticated.with("Authorization", err.Error())
	}
	c.AbortWithStatusJSON(ae.Status, errorBody{Error: ae})
}

// guarded returns the handlers of a records route: the guard's check of
// permission p, then the check that this server keeps records, then h.
// Without a guard no token can be checked, so the route is unavailable to
// everyone.
func (s *Server) guarded(p auth.Permission, h gin.HandlerFunc) []gin.HandlerFunc {
	switch {
	case s.guard == nil:
		return []gin.HandlerFunc{s.unguarded()}
	case s.recs == nil:
		return []gin.HandlerFunc{s.guard.Require(p), s.unavailable("the server runs without a database (parvaneh serve -database-url): records are kept in PostGIS")}
	}
	return []gin.HandlerFunc{s.guard.Require(p), h}
}

// admin returns the handlers of an administrator's route: the guard's
// check of permission p, then h; it needs no records.
func (s *Server) admin(p auth.Permission, h gin.HandlerFunc) []gin.HandlerFunc {
	return s.checked(func(g *auth.Guard) gin.HandlerFunc { return g.Require(p) }, h)
}

// identified returns the handlers of a route open to any valid token,
// which needs no records.
func (s *Server) identified(h gin.HandlerFunc) []gin.HandlerFunc {
	return s.checked((*auth.Guard).Authenticated, h)
}

// checked puts the guard's check before h; without a guard no token can be
// checked, so the route is unavailable.
func (s *Server) checked(check func(*auth.Guard) gin.HandlerFunc, h gin.HandlerFunc) []gin.HandlerFunc {
	if s.guard == nil {
		return []gin.HandlerFunc{s.unguarded()}
	}
	return []gin.HandlerFunc{check(s.guard), h}
}

func (s *Server) unguarded() gin.HandlerFunc {
	return s.unavailable("the server runs without " + auth.EnvSecret + ", so it cannot check tokens")
}

func (s *Server) unavailable(why string) gin.HandlerFunc {
	return func(c *gin.Context) { s.fail(c, errRecordsUnavailable.with("", why)) }
}

// actor is the caller, as the guard verified them.
func actor(c *gin.Context) records.Actor {
	cl, _ := auth.ClaimsFrom(c.Request.Context())
	return records.Actor{User: cl.User, Role: records.Role(cl.Role)}
}

// me answers GET /api/v1/me: who the token says the caller is and what
// they may do, for the map page to show each role its views.
func (s *Server) me(c *gin.Context) {
	cl, _ := auth.ClaimsFrom(c.Request.Context())
	c.JSON(http.StatusOK, gin.H{"user": cl.User, "role": cl.Role, "role_fa": cl.Role.Fa(), "permissions": cl.Role.Permissions()})
}

// noField marks a refusal about no member of the request: the caller's
// role, not what it sent.
const noField = "-"

// recordsRefusals are the answers to the records' refusals, in the order
// they are looked for, with the field at fault unless the refusal names
// its own (a *records.FieldError).
var recordsRefusals = []struct {
	err   error
	as    apiError
	field string
}{
	{records.ErrNotFound, errNotFound, "id"},
	{records.ErrForbidden, errForbidden, noField},
	{records.ErrReasonRequired, errMissing, "reason"},
	{records.ErrBadTransition, errTransition, ""},
	{records.ErrKeyReused, errKeyReused, idempotencyHeader},
	{records.ErrOpenCase, errOpenCase, "parcel_id"},
	{records.ErrInvalidFiling, errInvalidFiling, ""},
	{records.ErrInvalidDecision, errInvalidDecision, ""},
	{records.ErrInvalidValue, errInvalid, ""},
}

// recordsError names what a refusal of the records means for the request;
// field is the member at fault when neither the refusal nor the table
// names one. Other errors (a database out of reach) pass unchanged.
func recordsError(err error, field string) error {
	if errors.Is(err, layers.ErrUnavailable) {
		return err
	}
	detail := strings.TrimPrefix(err.Error(), "records: ")
	var fe *records.FieldError
	named := errors.As(err, &fe)
	if named {
		field, detail = fe.Field, fe.Err.Error()
	}
	for _, r := range recordsRefusals {
		if !errors.Is(err, r.err) {
			continue
		}
		switch {
		case named, r.field == "":
		case r.field == noField:
			field = ""
		default:
			field = r.field
		}
		return r.as.with(field, detail)
	}
	return err
}

// listed answers a list of records, newest first, as {name: [...]}, with
// the filters of listQuery.
func listed[T any](s *Server, c *gin.Context, name string, list func(context.Context, records.Actor, records.Query) ([]T, error)) {
	q, err := listQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := list(c.Request.Context(), actor(c), q)
	if err != nil {
		s.fail(c, recordsError(err, ""))
		return
	}
	c.JSON(http.StatusOK, gin.H{name: items})
}

// fetched answers the record of the path's id; with a subject ("case/"),
// wrap joins it to its audit trail.
func fetched[T any](s *Server, c *gin.Context, get func(context.Context, records.Actor, int64) (*T, error),
	subject string, wrap func(*T, []records.Entry) any) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	rec, err := get(ctx, actor(c), id)
	if err != nil {
		s.fail(c, recordsError(err, "id"))
		return
	}
	if subject == "" {
		c.JSON(http.StatusOK, rec)
		return
	}
	h, err := s.recs.Trail(ctx, subject+strconv.FormatInt(id, 10))
	if err != nil {
		s.fail(c, err)
		return
	}
	if h == nil {
		h = []records.Entry{}
	}
	c.JSON(http.StatusOK, wrap(rec, h))
}

// changed answers a change of the path's record by a body B: the record as
// change leaves it. field is the member at fault when a refusal names none.
func changed[B, T any](s *Server, c *gin.Context, field string, change func(context.Context, int64, records.Actor, B) (*T, error)) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var body B
	if err := decodeJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	rec, err := change(c.Request.Context(), id, actor(c), body)
	if err != nil {
		s.fail(c, recordsError(err, field))
		return
	}
	c.JSON(http.StatusOK, rec)
}

// idempotencyKey reads the key of a submission.
func idempotencyKey(c *gin.Context) (string, error) {
	k := c.GetHeader(idempotencyHeader)
	switch {
	case k == "":
		return "", errMissing.with(idempotencyHeader, "send a key of your choosing per submission, the same key when retrying it")
	case len(k) > records.MaxKeyBytes:
		return "", errInvalid.with(idempotencyHeader, "at most "+strconv.Itoa(records.MaxKeyBytes)+" bytes")
	}
	return k, nil
}

// pathID reads the record id of the path.
func pathID(c *gin.Context) (int64, error) {
	return parseID(c.Param("id"), "id")
}

func parseID(raw, field string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, errInvalid.with(field, "a record id, a whole number from 1")
	}
	return id, nil
}

// listQuery reads a list's filters: ?state=&parcel_id=&limit=&before=.
func listQuery(c *gin.Context) (records.Query, error) {
	q := records.Query{State: c.Query("state"), ParcelID: c.Query("parcel_id")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > records.MaxLimit {
			return q, errInvalid.with("limit", "a whole number from 1 to "+strconv.Itoa(records.MaxLimit))
		}
		q.Limit = n
	}
	if raw := c.Query("before"); raw != "" {
		id, err := parseID(raw, "before")
		if err != nil {
			return q, err
		}
		q.Before = id
	}
	return q, nil
}

// answeredBefore answers a retry: when the caller submitted under key
// before, the first record is the answer (200), before the document is
// checked again — a plan version or rule pack that came since must not
// refuse what was recorded. prior looks the key up (records.ErrNotFound when
// it is new). It reports whether the request has been answered, with the
// record or with a refusal.
func answeredBefore[T any](s *Server, c *gin.Context, prior func() (*T, error)) bool {
	rec, err := prior()
	switch {
	case err == nil:
		reply(c, false, rec)
	case errors.Is(err, records.ErrNotFound):
		return false
	default:
		s.fail(c, recordsError(err, ""))
	}
	return true
}

// reply answers a submission: 201 when it made the record, 200 when it was
// a retry that got the first record back.
func reply(c *gin.Context, made bool, v any) {
	status := http.StatusOK
	if made {
		status = http.StatusCreated
	}
	c.JSON(status, v)
}
