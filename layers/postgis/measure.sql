-- Measure one parcel ($2: WKB, in the version's measure SRID) against the
-- layers of plan version $1: everything layers.Measurement holds, in one
-- statement (rule book §1). $3 is layers.NearStreetDistance. One row, or none
-- for an unknown version. Lists are JSON arrays ordered by id (the id columns
-- are COLLATE "C": byte order), NULL when empty; their keys are the Go field
-- names of the layers types they decode into.
WITH
parcel AS (
    SELECT ST_GeomFromWKB($2, v.measure_srid) AS g
    FROM plan_versions v WHERE v.id = $1
),
-- Streets fronting the parcel: distance to the whole parcel at most $3
-- (a touch at a single point is distance 0).
near AS (
    SELECT s.street_id, s.width_m, s.planned_width_m, s.name, s.name_fa, s.geom,
           ST_Distance(s.geom, parcel.g) AS distance
    FROM streets s, parcel
    WHERE s.plan_version_id = $1 AND ST_DWithin(s.geom, parcel.g, $3)
),
-- The union of the streets the parcel meets; an aggregate without GROUP BY
-- gives one row, NULL when there are none.
street_union AS (
    SELECT ST_Union(near.geom) AS g
    FROM near, parcel WHERE ST_Intersects(near.geom, parcel.g)
),
-- W is the parcel inside the streets; the net parcel is the rest.
split AS (
    SELECT parcel.g AS whole,
           coalesce(ST_Area(ST_Intersection(parcel.g, u.g)), 0) AS widening,
           coalesce(ST_Difference(parcel.g, u.g), parcel.g) AS net
    FROM parcel, street_union u
),
-- Per detailed-plan code: the net parcel inside the union of that code's
-- features.
code_union AS (
    SELECT d.code, ST_Union(d.geom) AS g
    FROM detailed_plan d, split
    WHERE d.plan_version_id = $1 AND ST_Intersects(d.geom, split.net)
    GROUP BY d.code
),
zones AS (
    SELECT c.code, ST_Area(ST_Intersection(split.net, c.g)) AS area
    FROM code_union c, split
),
overlay_hits AS (
    SELECT o.overlay_id, o.kind, o.max_height_m, o.max_floors, o.no_build, o.name, o.name_fa,
           ST_Area(ST_Intersection(split.net, o.geom)) AS area
    FROM overlays o, split
    WHERE o.plan_version_id = $1 AND ST_Intersects(o.geom, split.net)
),
block_hits AS (
    SELECT b.block_id, b.p_value, b.tx_value_residential, b.tx_value_commercial,
           ST_Area(ST_Intersection(split.whole, b.geom)) AS area
    FROM value_blocks b, split
    WHERE b.plan_version_id = $1 AND ST_Intersects(b.geom, split.whole)
),
master_hits AS (
    SELECT m.zone_id, m.land_use, m.density_band, m.name, m.name_fa,
           ST_Area(ST_Intersection(split.whole, m.geom)) AS area
    FROM master_plan m, split
    WHERE m.plan_version_id = $1 AND ST_Intersects(m.geom, split.whole)
)
SELECT
    ST_Area(split.whole),
    split.widening,
    (SELECT json_agg(json_build_object(
                'Street', json_build_object('ID', street_id, 'Width', width_m, 'PlannedWidth', planned_width_m,
                                            'Name', name, 'NameFa', name_fa),
                'Distance', distance)
            ORDER BY street_id)
     FROM near),
    -- An overlap is an area: features that only touch the parcel are left out.
    (SELECT json_agg(json_build_object('Code', code, 'Area', area) ORDER BY code)
     FROM zones WHERE area > 0),
    (SELECT json_agg(json_build_object(
                'Overlay', json_build_object('ID', overlay_id, 'Kind', kind, 'MaxHeight', max_height_m,
                                             'MaxFloors', max_floors, 'NoBuild', no_build,
                                             'Name', name, 'NameFa', name_fa),
                'Area', area)
            ORDER BY overlay_id)
     FROM overlay_hits WHERE area > 0),
    (SELECT json_agg(json_build_object(
                'Block', json_build_object('ID', block_id, 'P', p_value, 'TxResidential', tx_value_residential,
                                           'TxCommercial', tx_value_commercial),
                'Area', area)
            ORDER BY block_id)
     FROM block_hits WHERE area > 0),
    (SELECT json_agg(json_build_object(
                'Zone', json_build_object('ID', zone_id, 'LandUse', land_use, 'DensityBand', density_band,
                                          'Name', name, 'NameFa', name_fa),
                'Area', area)
            ORDER BY zone_id)
     FROM master_hits WHERE area > 0)
FROM split
