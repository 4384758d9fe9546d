// Package api is Parvaneh's HTTP interface: JSON under /api/v1 (parcels, plan
// layers for the map, estimates, validations of engineers' proposals,
// Article 100 violation reviews; and, for holders of a bearer token, permit
// applications, violation cases with the commission's decisions,
// certificates of no violation and the admin's plan bundle uploads), health
// and readiness, and the OpenAPI
// document. Handlers translate HTTP to the permits, layers and records
// packages and back; every error leaves as one JSON body with a stable code,
// a message in English and Persian and the field at fault (see errors.go).
package api

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/permits"
)

// Plans is what the API reads of the plan layers.
type Plans interface {
	VersionAsOf(ctx context.Context, municipality string, asOf time.Time) (layers.PlanVersion, error)
	Versions(ctx context.Context, municipality string) ([]layers.PlanVersion, error)
	Parcel(ctx context.Context, version int64, id string) (layers.Parcel, error)
	ParcelsAt(ctx context.Context, version int64, pt geom.XY) ([]layers.Parcel, error)
	ParcelsIn(ctx context.Context, version int64, env geom.Envelope, limit int) ([]layers.Parcel, error)
	Features(ctx context.Context, version int64, layer layers.Layer, env geom.Envelope, limit int) ([]layers.Feature, error)
	Ping(ctx context.Context) error
}

// Config is everything the API is told at start-up.
type Config struct {
	// Municipality is the one municipality this server answers for.
	Municipality string
	// MaxBodyBytes caps a request body; larger ones get 413.
	MaxBodyBytes int64
	// MaxBundleBytes caps an uploaded plan bundle (a zip archive) instead.
	MaxBundleBytes int64
	// RulePacks are the ids of the rule packs loaded; an uploaded bundle
	// must name one of them (any, when empty).
	RulePacks []string
	// MaxFeatures caps the features of one map or bbox answer.
	MaxFeatures int
	// Now gives the date "as of" defaults to, in the city's time zone;
	// time.Now when nil.
	Now func() time.Time
}

// Server holds the handlers' dependencies.
type Server struct {
	// importing lets one plan bundle upload run at a time.
	importing sync.Mutex
	cfg       Config
	plans     Plans
	jobs      Permits
	recs      Records
	guard     *auth.Guard
	web       http.Handler
	log       *slog.Logger
}

// New builds the API. recs keeps the records and guard checks the tokens
// of their routes (build it with Refuse); without recs those routes answer
// 503 records_unavailable once the guard has let the request through, and
// without a guard they answer it to everyone. web, when not nil, serves
// everything outside /api.
func New(cfg Config, plans Plans, jobs Permits, recs Records, guard *auth.Guard, web http.Handler, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if cfg.MaxBundleBytes <= 0 {
		cfg.MaxBundleBytes = 64 << 20
	}
	if cfg.MaxFeatures <= 0 {
		cfg.MaxFeatures = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, plans: plans, jobs: jobs, recs: recs, guard: guard, web: web, log: log}
}

//go:embed openapi.json
var openAPI []byte

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(s.recovery(), s.limitBody(), s.textOnly())
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	v1 := r.Group("/api/v1")
	v1.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", openAPI) })
	v1.GET("/plan", s.plan)
	v1.GET("/parcels", s.parcels)
	v1.GET("/parcels/*id", s.parcel)
	v1.GET("/layers/:layer", s.layer)
	v1.GET("/estimates", s.estimateByQuery)
	v1.POST("/estimates", s.estimatePost)
	v1.POST("/validations", s.validationPost)
	v1.POST("/violations", s.violationPost)
	v1.GET("/me", s.identified(s.me)...)
	v1.POST("/applications", s.guarded(auth.FileApplication, s.fileApplication)...)
	v1.GET("/applications", s.guarded(auth.ViewApplications, s.listApplications)...)
	v1.GET("/applications/:id", s.guarded(auth.ViewApplications, s.getApplication)...)
	v1.POST("/applications/:id/transitions", s.guarded(auth.ReviewApplications, s.moveApplication)...)
	v1.POST("/cases", s.guarded(auth.ManageCases, s.openCase)...)
	v1.GET("/cases", s.guarded(auth.ViewCases, s.listCases)...)
	v1.GET("/cases/:id", s.guarded(auth.ViewCases, s.getCase)...)
	v1.POST("/cases/:id/decision", s.guarded(auth.RecordDecisions, s.decideCase)...)
	v1.POST("/cases/:id/closure", s.guarded(auth.ManageCases, s.closeCase)...)
	v1.POST("/certificates", s.guarded(auth.ManageCases, s.issueCertificate)...)
	v1.GET("/certificates/:id", s.guarded(auth.ViewCases, s.getCertificate)...)
	v1.POST("/plan/versions", s.admin(auth.ImportBundles, s.importBundle)...)
	r.NoRoute(func(c *gin.Context) {
		if s.web != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") {
			s.web.ServeHTTP(c.Writer, c.Request)
			return
		}
		s.fail(c, errNotFound.with("", c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) { s.fail(c, errNotFound.with("", c.Request.Method+" "+c.Request.URL.Path)) })
	return r
}

// limitBody caps every request body so a huge upload cannot exhaust memory;
// a plan bundle has its own, larger cap.
func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil {
			limit := s.cfg.MaxBodyBytes
			if c.FullPath() == bundleRoute {
				limit = s.cfg.MaxBundleBytes
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// textOnly refuses a request whose path, query or Idempotency-Key is not
// UTF-8 text: no plate, key or name of ours is, and the database would
// refuse it as an error of its own.
func (s *Server) textOnly() gin.HandlerFunc {
	return func(c *gin.Context) {
		field := ""
		if !utf8.ValidString(c.Request.URL.Path) {
			field = "path"
		}
		// Only an escape (or raw bytes that are no UTF-8) can decode to
		// what is not text: a plain query is not parsed here a second time.
		if raw := c.Request.URL.RawQuery; strings.IndexByte(raw, '%') >= 0 || !utf8.ValidString(raw) {
			for k, vs := range c.Request.URL.Query() {
				if !utf8.ValidString(k) || !utf8.ValidString(strings.Join(vs, "")) {
					field = strings.ToValidUTF8(k, "?")
				}
			}
		}
		if !utf8.ValidString(c.GetHeader(idempotencyHeader)) {
			field = idempotencyHeader
		}
		if field != "" {
			s.fail(c, errInvalid.with(field, "not UTF-8 text"))
			return
		}
		c.Next()
	}
}

// ready fails while the plan store (or the records' database) is
// unreachable, so a load balancer stops sending traffic that would only get
// 503s.
func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	err := s.plans.Ping(ctx)
	if err == nil && s.recs != nil {
		err = s.recs.Ping(ctx)
	}
	if err != nil {
		s.log.WarnContext(ctx, "not ready", slog.Any("err", err))
		c.JSON(http.StatusServiceUnavailable, errorBody{Error: errUnavailable.with("", "")})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// version resolves the plan version in force on the request's as_of date
// (query parameter, ISO yyyy-mm-dd; today when absent).
func (s *Server) version(c *gin.Context, asOfRaw string) (layers.PlanVersion, *geo.Projection, error) {
	asOf, err := s.parseAsOf(asOfRaw)
	if err != nil {
		return layers.PlanVersion{}, nil, err
	}
	v, err := s.versionAsOf(c.Request.Context(), asOf)
	if err != nil {
		return v, nil, err
	}
	proj, err := geo.NewProjection(v.MeasureSRID)
	if err != nil {
		return v, nil, err
	}
	return v, proj, nil
}

// versionAsOf finds the plan version in force on a date; none is the 404
// no_plan_version naming as_of.
func (s *Server) versionAsOf(ctx context.Context, asOf time.Time) (layers.PlanVersion, error) {
	v, err := s.plans.VersionAsOf(ctx, s.cfg.Municipality, asOf)
	if errors.Is(err, layers.ErrNotFound) {
		return v, errNoPlan.with("as_of", asOf.Format(time.DateOnly))
	}
	return v, err
}

func (s *Server) parseAsOf(raw string) (time.Time, error) {
	if raw == "" {
		return permits.Today(s.cfg.Now()), nil
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return time.Time{}, errInvalid.with("as_of", "want a Gregorian date yyyy-mm-dd, e.g. 2025-03-21")
	}
	return t, nil
}

// plan describes the municipality and its plan versions, for the map page.
func (s *Server) plan(c *gin.Context) {
	v, proj, err := s.version(c, c.Query("as_of"))
	if err != nil {
		s.fail(c, err)
		return
	}
	all, err := s.plans.Versions(c.Request.Context(), s.cfg.Municipality)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := gin.H{"municipality": v.Municipality, "municipality_fa": v.MunicipalityFa,
		"version": v, "versions": all}
	if !v.Extent.IsEmpty() {
		b := proj.ReverseEnvelope(v.Extent)
		lo, hi, _ := b.MinMaxXYs()
		out["bbox"] = []float64{lo.X, lo.Y, hi.X, hi.Y}
	}
	c.JSON(http.StatusOK, out)
}

// parcels answers ?lon=&lat= (parcels at a point) or ?bbox= (in a box).
func (s *Server) parcels(c *gin.Context) {
	v, proj, err := s.version(c, c.Query("as_of"))
	if err != nil {
		s.fail(c, err)
		return
	}
	// limit is checked even where it does not apply (a point), so a
	// request is refused or taken the same whichever lookup it makes.
	limit, err := s.limit(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var ps []layers.Parcel
	point := c.Query("lon") != "" || c.Query("lat") != ""
	switch {
	case c.Query("bbox") != "" && point:
		s.fail(c, errInvalid.with("bbox", "give bbox or lon and lat, not both"))
		return
	case c.Query("bbox") != "":
		env, err := parseBBox(c.Query("bbox"))
		if err != nil {
			s.fail(c, err)
			return
		}
		ps, err = s.plans.ParcelsIn(ctx, v.ID, proj.ForwardEnvelope(env), limit)
		if err != nil {
			s.fail(c, err)
			return
		}
	case point:
		lon, err := parseCoord(c.Query("lon"), "lon", 180)
		if err != nil {
			s.fail(c, err)
			return
		}
		lat, err := parseCoord(c.Query("lat"), "lat", 90)
		if err != nil {
			s.fail(c, err)
			return
		}
		ps, err = s.plans.ParcelsAt(ctx, v.ID, proj.Forward(geom.XY{X: lon, Y: lat}))
		if err != nil {
			s.fail(c, err)
			return
		}
	default:
		s.fail(c, errMissing.with("bbox", "give bbox=minLon,minLat,maxLon,maxLat or lon= and lat="))
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(ps))}
	for _, p := range ps {
		fc.Features = append(fc.Features, parcelFeature(p, proj))
	}
	c.JSON(http.StatusOK, fc)
}

// parcel answers one parcel by plate; plates contain "/", hence the wildcard.
func (s *Server) parcel(c *gin.Context) {
	id := strings.TrimPrefix(c.Param("id"), "/")
	if id == "" {
		s.fail(c, errMissing.with("id", "the parcel's plate number, e.g. /api/v1/parcels/12/34"))
		return
	}
	v, proj, err := s.version(c, c.Query("as_of"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.plans.Parcel(c.Request.Context(), v.ID, id)
	if errors.Is(err, layers.ErrNotFound) {
		s.fail(c, errParcelNotFound.with("id", id))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, parcelFeature(p, proj))
}

// layer answers a plan layer's features in a bbox, for drawing.
func (s *Server) layer(c *gin.Context) {
	name := layers.Layer(c.Param("layer"))
	known := false
	for _, l := range layers.AllLayers {
		known = known || l == name
	}
	if !known {
		s.fail(c, errInvalid.with("layer", "one of parcels, master_plan, detailed_plan, streets, overlays, value_blocks"))
		return
	}
	v, proj, err := s.version(c, c.Query("as_of"))
	if err != nil {
		s.fail(c, err)
		return
	}
	env, err := parseBBox(c.Query("bbox"))
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := s.limit(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	fs, err := s.plans.Features(c.Request.Context(), v.ID, name, proj.ForwardEnvelope(env), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(fs))}
	for _, f := range fs {
		props := map[string]any{"id": f.ID}
		for k, val := range f.Properties {
			props[k] = val
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: f.ID,
			Geometry: proj.ReverseMultiPolygon(f.Geom), Properties: props})
	}
	c.JSON(http.StatusOK, fc)
}

func (s *Server) limit(c *gin.Context) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return s.cfg.MaxFeatures, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > s.cfg.MaxFeatures {
		return 0, errInvalid.with("limit", "a whole number from 1 to "+strconv.Itoa(s.cfg.MaxFeatures))
	}
	return n, nil
}

// parseBBox reads "minLon,minLat,maxLon,maxLat".
func parseBBox(raw string) (geom.Envelope, error) {
	if raw == "" {
		return geom.Envelope{}, errMissing.with("bbox", "bbox=minLon,minLat,maxLon,maxLat")
	}
	parts := strings.Split(raw, ",")
	if len(parts) != 4 {
		return geom.Envelope{}, errInvalid.with("bbox", "four numbers: minLon,minLat,maxLon,maxLat")
	}
	var v [4]float64
	for i, p := range parts {
		lim := 180.0
		if i%2 == 1 {
			lim = 90
		}
		f, err := parseCoord(strings.TrimSpace(p), "bbox", lim)
		if err != nil {
			return geom.Envelope{}, err
		}
		v[i] = f
	}
	if v[0] > v[2] || v[1] > v[3] {
		return geom.Envelope{}, errInvalid.with("bbox", "min must not exceed max")
	}
	return geom.NewEnvelope(geom.XY{X: v[0], Y: v[1]}, geom.XY{X: v[2], Y: v[3]}), nil
}

func parseCoord(raw, field string, limit float64) (float64, error) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) || f < -limit || f > limit {
		return 0, errInvalid.with(field, "a number from -"+strconv.Itoa(int(limit))+" to "+strconv.Itoa(int(limit)))
	}
	return f, nil
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id,omitempty"`
	Geometry   geom.MultiPolygon `json:"geometry"`
	Properties map[string]any    `json:"properties"`
}

func parcelFeature(p layers.Parcel, proj *geo.Projection) feature {
	f := p.Feature()
	return feature{Type: "Feature", ID: f.ID, Geometry: proj.ReverseMultiPolygon(f.Geom), Properties: f.Properties}
}
