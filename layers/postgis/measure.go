package postgis

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

//go:embed measure.sql
var measureSQL string

// The two ways into measure.sql, as its CTE parcel: a geometry ($1, WKB in
// the version's measure SRID) or a stored parcel by plate ($1).
const (
	parcelGiven = `WITH parcel AS (
    SELECT ST_GeomFromWKB($1, v.measure_srid) AS g, NULL::text AS id, NULL::float8 AS registered_area,
           NULL::text AS address, NULL::text AS address_fa, NULL::bytea AS wkb
    FROM plan_versions v WHERE v.id = :version
),
`
	parcelStored = `WITH parcel AS (
    SELECT t.geom AS g, t.parcel_id AS id, t.registered_area_m2 AS registered_area,
           t.address, t.address_fa, ST_AsBinary(t.geom) AS wkb
    FROM parcels t WHERE t.plan_version_id = :version AND t.parcel_id = $1
),
`
)

// measureQuery is measure.sql for one plan version, which it names as a
// literal rather than a parameter: the generic plan of the prepared
// statement then reads only that version's partitions, planned once. With a
// parameter it would hold every version's partitions, and as soon as a
// second version is stored PostgreSQL finds it dearer than planning afresh
// and re-plans on every call (about 1 ms, several times the execution).
func measureQuery(parcel string, version int64) string {
	return strings.ReplaceAll(parcel+measureSQL, ":version", strconv.FormatInt(version, 10))
}

// Measure overlays a parcel geometry (valid, in the version's measure SRID)
// with the version's layers, in one SQL statement.
func (s *Store) Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (layers.Measurement, error) {
	doing := fmt.Sprintf("measuring a parcel against plan version %d", version)
	_, m, err := s.measure(ctx, doing, measureQuery(parcelGiven, version), parcel.Force2D().AsBinary())
	return m, err
}

// MeasureParcel returns a stored parcel by plate and its measurement against
// the version's layers: Parcel and Measure in one statement, one round trip
// (permits.ParcelMeasurer).
func (s *Store) MeasureParcel(ctx context.Context, version int64, id string) (layers.Parcel, layers.Measurement, error) {
	doing := fmt.Sprintf("measuring parcel %q of plan version %d", id, version)
	return s.measure(ctx, doing, measureQuery(parcelStored, version), id)
}

// Row kinds of measure.sql.
const (
	kindParcel = iota
	kindStreet
	kindZone
	kindOverlay
	kindBlock
	kindMasterZone
)

// measure runs one of the measure queries; the parcel is zero for a given
// geometry.
func (s *Store) measure(ctx context.Context, doing, query string, parcel any) (layers.Parcel, layers.Measurement, error) {
	rows, _ := s.pool.Query(ctx, query, parcel, layers.NearStreetDistance)
	defer rows.Close()
	var (
		p     layers.Parcel
		m     layers.Measurement
		found bool
		// the columns of measure.sql
		kind           int
		id             *string
		measure        float64
		x1, x2         *float64
		n1, n2, n3     *int64
		flag           *bool
		t1, t2, t3, t4 *string
		wkb            []byte
	)
	str := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	// own copies a nullable value out of the scan targets, which the next row
	// may reuse.
	own := func(v *float64) *float64 {
		if v == nil {
			return nil
		}
		c := *v
		return &c
	}
	for rows.Next() {
		if err := rows.Scan(&kind, &id, &measure, &x1, &x2, &n1, &n2, &n3, &flag, &t1, &t2, &t3, &t4, &wkb); err != nil {
			return layers.Parcel{}, layers.Measurement{}, s.failed(doing, err)
		}
		if kind >= kindZone && measure <= 0 {
			continue // an overlap is an area: a feature that only touches is none
		}
		switch kind {
		case kindParcel:
			found = true
			m.Area, m.Widening = measure, *x1
			if id != nil {
				p = layers.Parcel{ID: *id, RegisteredArea: own(x2), Address: str(t1), AddressFa: str(t2)}
				var err error
				if p.Geom, err = multiPolygon(wkb); err != nil {
					return layers.Parcel{}, layers.Measurement{}, fmt.Errorf("postgis: %s: %w", doing, err)
				}
			}
		case kindStreet:
			m.Streets = append(m.Streets, layers.StreetNear{Distance: measure,
				Street: layers.Street{ID: *id, Width: *x1, PlannedWidth: *x2, Name: str(t1), NameFa: str(t2)}})
		case kindZone:
			m.Zones = append(m.Zones, layers.CodeOverlap{Code: *id, Area: measure})
		case kindOverlay:
			o := layers.Overlay{ID: *id, Kind: str(t3), MaxHeight: own(x1), NoBuild: *flag, Name: str(t1), NameFa: str(t2)}
			if n1 != nil {
				floors := int(*n1)
				o.MaxFloors = &floors
			}
			m.Overlays = append(m.Overlays, layers.OverlayOverlap{Overlay: o, Area: measure})
		case kindBlock:
			m.ValueBlocks = append(m.ValueBlocks, layers.ValueBlockOverlap{Area: measure,
				Block: layers.ValueBlock{ID: *id, P: *n1, TxResidential: *n2, TxCommercial: *n3}})
		case kindMasterZone:
			m.MasterZones = append(m.MasterZones, layers.MasterZoneOverlap{Area: measure,
				Zone: layers.MasterZone{ID: *id, LandUse: str(t3), DensityBand: str(t4), Name: str(t1), NameFa: str(t2)}})
		default:
			return layers.Parcel{}, layers.Measurement{}, fmt.Errorf("postgis: %s: unknown row kind %d", doing, kind)
		}
	}
	if err := rows.Err(); err != nil {
		return layers.Parcel{}, layers.Measurement{}, s.failed(doing, err)
	}
	if !found {
		return layers.Parcel{}, layers.Measurement{}, s.failed(doing, pgx.ErrNoRows)
	}
	return p, m, nil
}
