-- Measure one parcel against the layers of plan version :version (a literal
-- that measure.go writes in, not a parameter): everything
-- layers.Measurement holds, in one statement (rule book §1). $2 is
-- layers.NearStreetSearch: the rule's 1.0 m and a float tolerance (zoning
-- applies the rule to the distances listed).
--
-- measure.go puts the CTE "parcel" before this text: one row, the parcel's
-- geometry g — from $1 as WKB, or for Warm each stored parcel in turn — or
-- none for an unknown version, and then this statement gives no row either.
--
-- The answer is one row per fact, ordered by kind then id (the id columns
-- are COLLATE "C": byte order), in plain typed columns, which cost less to
-- build and to decode than JSON. By kind:
--
--   kind  id          measure   x1          x2              n1 n2 n3      flag      t1      t2         t3        t4
--   0                 A         W
--   1     street_id   distance  width_m     planned_width_m                         name    name_fa
--   2     code        area
--   3     overlay_id  area      max_height                  max_floors    no_build  name    name_fa    kind
--   4     block_id    area                                  P  TXr TXc
--   5     zone_id     area                                                          name    name_fa    land_use  density_band
--
-- These rows are also what parcel_measurements keeps of a stored parcel (as
-- JSON, see measure.go's fact).
--
-- An overlap is an area: a feature that only touches its target gives a row
-- of area 0, which measure.go drops.
--
-- GEOS calls (tens of µs each) are the cost, so each is spared where a
-- native PostGIS function (a few µs) knows the answer. Features are found by
-- ST_DWithin(…, 0), not ST_Intersects: the same features, touching ones
-- included. A feature that covers its target overlaps all of it: when the
-- feature's boundary stays clear of the target, the feature covers it exactly
-- when it covers the target's vertices (point in polygon); only a boundary
-- that meets the target needs GEOS to tell. A code with one feature needs no
-- union.

-- Streets near the parcel: distance to the whole parcel at most $2
-- (a touch at a single point is distance 0).
near AS (
    SELECT s.street_id, s.width_m, s.planned_width_m, s.name, s.name_fa, s.geom,
           ST_Distance(s.geom, parcel.g) AS distance
    FROM streets s, parcel
    WHERE s.plan_version_id = :version AND ST_DWithin(s.geom, parcel.g, $2)
),
-- The union of the streets the parcel meets (distance 0); NULL when none.
streets_met AS (
    SELECT CASE count(*) WHEN 0 THEN NULL WHEN 1 THEN (array_agg(geom))[1] ELSE ST_Union(array_agg(geom)) END AS g
    FROM near WHERE distance = 0
),
-- The net parcel is the parcel minus the streets, and W the rest:
-- A − area(net) spares an overlay (the embedded store does the same).
split AS (
    SELECT parcel.g AS whole, ST_Area(parcel.g) AS area, n.net, ST_Area(n.net) AS net_area
    FROM parcel, streets_met u,
         LATERAL (SELECT CASE WHEN u.g IS NULL THEN parcel.g ELSE ST_Difference(parcel.g, u.g) END AS net) n
),
-- Every feature meeting its target (the net parcel for detailed-plan zones
-- and overlays, the whole parcel for value blocks and master-plan zones),
-- with the area of the target inside it: all of it when the feature covers
-- it, else that of their intersection.
hits AS (
    SELECT h.*,
           CASE WHEN CASE WHEN NOT ST_DWithin(ST_Boundary(h.geom), h.target, 0) THEN ST_Covers(h.geom, ST_Points(h.target))
                          ELSE ST_Covers(h.geom, h.target) END
                THEN h.target_area
                ELSE ST_Area(ST_Intersection(h.target, h.geom)) END AS area
    FROM (
        SELECT 2 AS kind, d.code AS id, NULL::float8 AS x1, NULL::bigint AS n1, NULL::bigint AS n2, NULL::bigint AS n3,
               NULL::boolean AS flag, NULL::text AS t1, NULL::text AS t2, NULL::text AS t3, NULL::text AS t4,
               d.geom, split.net AS target, split.net_area AS target_area
        FROM detailed_plan d, split
        WHERE d.plan_version_id = :version AND ST_DWithin(d.geom, split.net, 0)
        UNION ALL
        SELECT 3, o.overlay_id, o.max_height_m, o.max_floors, NULL, NULL, o.no_build, o.name, o.name_fa, o.kind, NULL,
               o.geom, split.net, split.net_area
        FROM overlays o, split
        WHERE o.plan_version_id = :version AND ST_DWithin(o.geom, split.net, 0)
        UNION ALL
        SELECT 4, b.block_id, NULL, b.p_value, b.tx_value_residential, b.tx_value_commercial, NULL, NULL, NULL, NULL, NULL,
               b.geom, split.whole, split.area
        FROM value_blocks b, split
        WHERE b.plan_version_id = :version AND ST_DWithin(b.geom, split.whole, 0)
        UNION ALL
        SELECT 5, m.zone_id, NULL, NULL, NULL, NULL, NULL, m.name, m.name_fa, m.land_use, m.density_band,
               m.geom, split.whole, split.area
        FROM master_plan m, split
        WHERE m.plan_version_id = :version AND ST_DWithin(m.geom, split.whole, 0)
    ) h
)
SELECT 0 AS kind, NULL::text AS id, area AS measure, greatest(area - net_area, 0) AS x1, NULL::float8 AS x2,
       NULL::bigint AS n1, NULL::bigint AS n2, NULL::bigint AS n3, NULL::boolean AS flag,
       NULL::text AS t1, NULL::text AS t2, NULL::text AS t3, NULL::text AS t4
FROM split
UNION ALL
SELECT 1, street_id, distance, width_m, planned_width_m, NULL, NULL, NULL, NULL, name, name_fa, NULL, NULL
FROM near
UNION ALL
-- A code's overlap is the net parcel inside the union of its features; one
-- feature needs no union.
SELECT 2, id, CASE WHEN count(*) = 1 THEN min(area) ELSE ST_Area(ST_Intersection((array_agg(target))[1], ST_Union(array_agg(geom)))) END,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM hits WHERE kind = 2
GROUP BY id
UNION ALL
SELECT kind, id, area, x1, NULL, n1, n2, n3, flag, t1, t2, t3, t4
FROM hits WHERE kind <> 2
ORDER BY kind, id
