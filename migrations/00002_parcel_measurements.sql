-- A stored parcel's measurement against its plan version's layers, kept once
-- computed (layers/postgis/cache.go).
--
-- A plan version and its parcels are never changed once imported, so what a
-- stored parcel measures is a pure function of (plan_version_id, parcel_id):
-- the PostGIS store computes it on the parcel's first estimate (or all of a
-- version's ahead, Store.Warm) and afterwards reads it with the parcel, a
-- primary-key read instead of an overlay of every layer.
--
-- facts is layers.Measurement as JSON in the store's own documented shape
-- (cache.go). revision names the SQL and the shape that computed it: a store
-- whose measure.sql differs takes a row of another revision for a miss and
-- replaces it, so changing how parcels are measured needs no migration.
-- Rows go with their plan version (ON DELETE CASCADE).

-- +goose Up
CREATE TABLE parcel_measurements (
    plan_version_id bigint NOT NULL REFERENCES plan_versions (id) ON DELETE CASCADE,
    parcel_id       text COLLATE "C" NOT NULL,
    revision        text NOT NULL,
    facts           jsonb NOT NULL,
    PRIMARY KEY (plan_version_id, parcel_id)
);

-- +goose Down
DROP TABLE parcel_measurements;
