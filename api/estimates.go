package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/permits"
)

// Estimator gives estimates; *permits.Service is one.
type Estimator interface {
	Estimate(ctx context.Context, w permits.Where) (*permits.Estimate, error)
}

// estimateRequest is the body of POST /api/v1/estimates: a parcel id or a
// GeoJSON geometry, and optionally the date the plan should be taken as of.
type estimateRequest struct {
	ParcelID string          `json:"parcel_id"`
	Geometry json.RawMessage `json:"geometry"`
	AsOf     string          `json:"as_of"`
}

// estimateByQuery answers GET /api/v1/estimates?parcel_id=…&as_of=…
func (s *Server) estimateByQuery(c *gin.Context) {
	id := c.Query("parcel_id")
	if id == "" {
		s.fail(c, errMissing.with("parcel_id", "GET takes ?parcel_id=; POST a geometry instead"))
		return
	}
	s.estimate(c, estimateRequest{ParcelID: id, AsOf: c.Query("as_of")})
}

// estimatePost answers POST /api/v1/estimates.
func (s *Server) estimatePost(c *gin.Context) {
	var req estimateRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.estimate(c, req)
}

func (s *Server) estimate(c *gin.Context, req estimateRequest) {
	asOf, err := s.parseAsOf(req.AsOf)
	if err != nil {
		s.fail(c, err)
		return
	}
	w := permits.Where{ParcelID: req.ParcelID, AsOf: asOf}
	hasGeom := len(req.Geometry) > 0 && string(req.Geometry) != "null"
	switch {
	case req.ParcelID != "" && hasGeom:
		s.fail(c, errInvalid.with("geometry", "give parcel_id or geometry, not both"))
		return
	case hasGeom:
		raw, err := geo.ParseGeometry(req.Geometry)
		if err != nil {
			s.fail(c, geometryError(err))
			return
		}
		w.Geometry = &raw
	case req.ParcelID == "":
		s.fail(c, errMissing.with("parcel_id", "give parcel_id or geometry"))
		return
	}
	est, err := s.jobs.Estimate(c.Request.Context(), w)
	if err != nil {
		s.fail(c, s.permitsError(err, w))
		return
	}
	c.JSON(http.StatusOK, est)
}

// permitsError names what a permits error means for the request about w.
func (s *Server) permitsError(err error, w permits.Where) error {
	var ge *geo.GeometryError
	switch {
	case errors.As(err, &ge):
		return geometryError(err)
	case errors.Is(err, permits.ErrOutsideMunicipality):
		return errOutsideCity.with("geometry", "")
	case errors.Is(err, permits.ErrNoPlanVersion):
		return errNoPlan.with("as_of", w.AsOf.Format(time.DateOnly))
	case errors.Is(err, permits.ErrParcelNotFound):
		return errParcelNotFound.with("parcel_id", w.ParcelID)
	}
	return err
}

// geometryError turns a geo refusal into the 400 body with its reason.
func geometryError(err error) error {
	var ge *geo.GeometryError
	if !errors.As(err, &ge) {
		return err
	}
	e := errBadGeometry.with("geometry", ge.Detail)
	e.Code = "bad_geometry." + ge.Reason
	return e
}

// decodeJSON reads a JSON body strictly: unknown fields, trailing data and
// oversize bodies are refused with the field named where one can be.
func decodeJSON(c *gin.Context, dst any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge.with("", "")
		}
		return errBadJSON.with("", err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errBadJSON.with(te.Field, "want "+te.Type.String()+", got JSON "+te.Value)
		}
		// encoding/json names an unknown field only in its message.
		if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
			return errBadJSON.with(strings.TrimSuffix(name, `"`), "unknown field")
		}
		return errBadJSON.with("", err.Error())
	}
	if dec.More() {
		return errBadJSON.with("", "trailing data after the JSON object")
	}
	return exactNames(body, dst)
}

// exactNames refuses a member that names a field of dst in another case
// ("Parcel_ID"): encoding/json takes it for the field, but the API's names
// are spelled one way and a body must not hold two spellings of one field.
func exactNames(body []byte, dst any) error {
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return nil // not an object: Decode has judged it
	}
	fields := reflect.VisibleFields(reflect.TypeOf(dst).Elem())
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if !slices.ContainsFunc(fields, func(f reflect.StructField) bool {
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			return tag == name
		}) {
			return errBadJSON.with(name, "unknown field (names are case-sensitive)")
		}
	}
	return nil
}
