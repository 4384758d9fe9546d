-- Measure a building footprint ($2) against a parcel geometry ($1), both WKB
-- in the measure SRID of plan version :version (a literal, as in
-- measure.sql, so the generic plan reads that version's partitions only),
-- and the version's streets: what layers.FootprintMeasurement holds, in one
-- statement. No row for an unknown version.
--
-- Only the streets the footprint meets matter: the footprint's part of the
-- net parcel is its part of the parcel minus those streets. One row per
-- fact, ordered by kind then street id (COLLATE "C": byte order):
--
--   kind  id         area        outside_net  outside_parcel  on_streets
--   0     NULL       footprint   m²           m²              m²
--   1     street_id  overlap with that street
WITH input AS MATERIALIZED (
    SELECT ST_GeomFromWKB($1, v.measure_srid) AS parcel, ST_GeomFromWKB($2, v.measure_srid) AS fp
    FROM plan_versions v WHERE v.id = :version
),
pieces AS MATERIALIZED (
    SELECT s.street_id, ST_Intersection(input.fp, s.geom) AS piece
    FROM streets s, input
    WHERE s.plan_version_id = :version AND ST_Intersects(s.geom, input.fp)
),
-- The footprint on the union of the streets; NULL when it meets none.
streets_met AS (
    SELECT ST_Union(piece) AS u FROM pieces
),
inside AS MATERIALIZED (
    SELECT ST_Area(input.fp) AS area, ST_Intersection(input.fp, input.parcel) AS in_parcel, s.u
    FROM input, streets_met s
),
totals AS (
    SELECT area, ST_Area(in_parcel) AS in_parcel_area, COALESCE(ST_Area(u), 0) AS on_streets,
           ST_Area(CASE WHEN u IS NULL THEN in_parcel ELSE ST_Difference(in_parcel, u) END) AS in_net_area
    FROM inside
)
SELECT 0 AS kind, NULL::text AS id, area,
       GREATEST(0, area - in_net_area) AS outside_net, GREATEST(0, area - in_parcel_area) AS outside_parcel,
       on_streets
FROM totals
UNION ALL
SELECT 1, street_id, ST_Area(piece), NULL, NULL, NULL
FROM pieces WHERE ST_Area(piece) > 0
ORDER BY kind, id
