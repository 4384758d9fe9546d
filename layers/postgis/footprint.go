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

//go:embed footprint.sql
var footprintSQL string

// MeasureFootprint overlays a building footprint with a parcel geometry and
// the version's streets (layers.FootprintMeasurement), in one SQL statement.
func (s *Store) MeasureFootprint(ctx context.Context, version int64, parcel, footprint geom.MultiPolygon) (layers.FootprintMeasurement, error) {
	doing := fmt.Sprintf("measuring a footprint against plan version %d", version)
	query := strings.ReplaceAll(footprintSQL, ":version", strconv.FormatInt(version, 10))
	rows, _ := s.pool.Query(ctx, query, parcel.Force2D().AsBinary(), footprint.Force2D().AsBinary())
	defer rows.Close()
	var (
		m     layers.FootprintMeasurement
		found bool
		kind  int
		id    *string
		area  float64
		x     [3]*float64
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &id, &area, &x[0], &x[1], &x[2]); err != nil {
			return layers.FootprintMeasurement{}, wrapErr(doing, err)
		}
		switch {
		case kind == 0 && x[0] != nil && x[1] != nil && x[2] != nil:
			found = true
			m.Area, m.OutsideNet, m.OutsideParcel, m.OnStreets = area, *x[0], *x[1], *x[2]
		case kind == 1 && id != nil:
			m.Streets = append(m.Streets, layers.StreetOverlap{StreetID: *id, Area: area})
		default:
			return layers.FootprintMeasurement{}, fmt.Errorf("postgis: %s: unexpected row of kind %d", doing, kind)
		}
	}
	if err := rows.Err(); err != nil {
		return layers.FootprintMeasurement{}, wrapErr(doing, err)
	}
	if !found {
		return layers.FootprintMeasurement{}, wrapErr(doing, pgx.ErrNoRows)
	}
	return m, nil
}
