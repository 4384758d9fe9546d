package postgis

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

//go:embed measure.sql
var measureSQL string

// parcelGiven is the way into measure.sql for Measure, as its CTE parcel: a
// geometry, $1 as WKB in the version's measure SRID (cache.go has those for
// stored parcels).
const parcelGiven = `WITH parcel AS (
    SELECT ST_GeomFromWKB($1, v.measure_srid) AS g FROM plan_versions v WHERE v.id = :version
),
`

// forVersion writes a plan version into a statement, where it says :version,
// as a literal rather than a parameter: the generic plan of the prepared
// statement then reads only that version's partitions, planned once. With a
// parameter it would hold every version's partitions, and as soon as a
// second version is stored PostgreSQL finds it dearer than planning afresh
// and re-plans on every call (about 1 ms, several times the execution of
// measure.sql).
func forVersion(query string, version int64) string {
	return strings.ReplaceAll(query, ":version", strconv.FormatInt(version, 10))
}

// Measure overlays a parcel geometry (valid, in the version's measure SRID)
// with the version's layers, in one SQL statement.
func (s *Store) Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (layers.Measurement, error) {
	doing := fmt.Sprintf("measuring a parcel against plan version %d", version)
	facts, err := s.measureFacts(ctx, doing, version, parcel)
	if err != nil {
		return layers.Measurement{}, err
	}
	m, err := measurement(facts)
	if err != nil {
		return layers.Measurement{}, fmt.Errorf("postgis: %s: %w", doing, err)
	}
	return m, nil
}

// measureFacts runs measure.sql on a geometry.
func (s *Store) measureFacts(ctx context.Context, doing string, version int64, parcel geom.MultiPolygon) ([]fact, error) {
	rows, _ := s.pool.Query(ctx, forVersion(parcelGiven+measureSQL, version), parcel.Force2D().AsBinary(), layers.NearStreetSearch)
	facts, err := pgx.CollectRows(rows, scanFact)
	if err != nil {
		return nil, s.failed(doing, err)
	}
	if len(facts) == 0 {
		return nil, s.failed(doing, pgx.ErrNoRows)
	}
	return facts, nil
}

// fact is one row of measure.sql: see its table of the columns by kind. It
// also decodes a row as parcel_measurements keeps it: a JSON object whose
// members are the columns that are not NULL (cache.go).
type fact struct {
	Kind    int      `json:"kind"`
	ID      *string  `json:"id,omitempty"`
	Measure float64  `json:"measure"`
	X1      *float64 `json:"x1,omitempty"`
	X2      *float64 `json:"x2,omitempty"`
	N1      *int64   `json:"n1,omitempty"`
	N2      *int64   `json:"n2,omitempty"`
	N3      *int64   `json:"n3,omitempty"`
	Flag    *bool    `json:"flag,omitempty"`
	T1      *string  `json:"t1,omitempty"`
	T2      *string  `json:"t2,omitempty"`
	T3      *string  `json:"t3,omitempty"`
	T4      *string  `json:"t4,omitempty"`
}

func scanFact(row pgx.CollectableRow) (fact, error) {
	var f fact
	err := row.Scan(&f.Kind, &f.ID, &f.Measure, &f.X1, &f.X2, &f.N1, &f.N2, &f.N3, &f.Flag, &f.T1, &f.T2, &f.T3, &f.T4)
	return f, err
}

// Kinds of fact.
const (
	kindParcel = iota
	kindStreet
	kindZone
	kindOverlay
	kindBlock
	kindMasterZone
)

var errIncomplete = errors.New("a column it needs is NULL")

// measurement assembles the facts of one parcel (in measure.sql's order)
// into a layers.Measurement.
func measurement(facts []fact) (layers.Measurement, error) {
	var m layers.Measurement
	for i := range facts {
		if err := facts[i].addTo(&m); err != nil {
			return layers.Measurement{}, fmt.Errorf("fact %d of kind %d: %w", i, facts[i].Kind, err)
		}
	}
	return m, nil
}

func (f *fact) addTo(m *layers.Measurement) error {
	if f.Kind >= kindZone && f.Measure <= 0 {
		return nil // an overlap is an area: a feature that only touches is none
	}
	if f.Kind != kindParcel && f.ID == nil {
		return errIncomplete
	}
	switch f.Kind {
	case kindParcel:
		if f.X1 == nil {
			return errIncomplete
		}
		m.Area, m.Widening = f.Measure, *f.X1
	case kindStreet:
		if f.X1 == nil || f.X2 == nil {
			return errIncomplete
		}
		m.Streets = append(m.Streets, layers.StreetNear{Distance: f.Measure,
			Street: layers.Street{ID: *f.ID, Width: *f.X1, PlannedWidth: *f.X2, Name: str(f.T1), NameFa: str(f.T2)}})
	case kindZone:
		m.Zones = append(m.Zones, layers.CodeOverlap{Code: *f.ID, Area: f.Measure})
	case kindOverlay:
		if f.Flag == nil {
			return errIncomplete
		}
		o := layers.Overlay{ID: *f.ID, Kind: str(f.T3), MaxHeight: f.X1, NoBuild: *f.Flag, Name: str(f.T1), NameFa: str(f.T2)}
		if f.N1 != nil {
			floors := int(*f.N1)
			o.MaxFloors = &floors
		}
		m.Overlays = append(m.Overlays, layers.OverlayOverlap{Overlay: o, Area: f.Measure})
	case kindBlock:
		if f.N1 == nil || f.N2 == nil || f.N3 == nil {
			return errIncomplete
		}
		m.ValueBlocks = append(m.ValueBlocks, layers.ValueBlockOverlap{Area: f.Measure,
			Block: layers.ValueBlock{ID: *f.ID, P: *f.N1, TxResidential: *f.N2, TxCommercial: *f.N3}})
	case kindMasterZone:
		m.MasterZones = append(m.MasterZones, layers.MasterZoneOverlap{Area: f.Measure,
			Zone: layers.MasterZone{ID: *f.ID, LandUse: str(f.T3), DensityBand: str(f.T4), Name: str(f.T1), NameFa: str(f.T2)}})
	default:
		return errors.New("unknown kind")
	}
	return nil
}

func str(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}
