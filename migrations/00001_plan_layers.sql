-- Plan versions and the six layers of the plan-bundle contract
-- (../shared/spec/layers.md).
--
-- Geometry: SRIDs vary per municipality (each bundle names its metric
-- measure_srid), so a layer's geom column is geometry(MultiPolygon) with the
-- SRID left open, and every row carries its srid. The composite foreign key
-- (plan_version_id, srid) → plan_versions (id, measure_srid) together with
-- CHECK (ST_SRID(geom) = srid) makes the database itself guarantee that a
-- feature is stored in its plan version's measure SRID. geom_wgs84 is the
-- same shape in WGS84 for maps, derived at insert.
--
-- Each layer table is partitioned by plan version: a version is written once
-- and never changed, so the importer loads it into a table of its own without
-- indexes, lets PostgreSQL build the indexes in bulk, and attaches it (see
-- layers/postgis/import.go). That is several times faster than maintaining
-- GiST indexes row by row, and a query of one version reads one partition.
--
-- Ids and codes are COLLATE "C": the rule book breaks ties by byte order, so
-- ORDER BY must mean byte order whatever the cluster's locale.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE municipalities (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name    text COLLATE "C" NOT NULL UNIQUE,
    name_fa text NOT NULL DEFAULT ''
);

CREATE TABLE plan_versions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    municipality_id bigint NOT NULL REFERENCES municipalities (id),
    seq             integer NOT NULL CHECK (seq > 0),
    label           text NOT NULL,
    effective_from  date NOT NULL,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    -- named: the importer tells an unknown SRID by this constraint
    measure_srid    integer NOT NULL CONSTRAINT plan_versions_measure_srid_fkey REFERENCES spatial_ref_sys (srid),
    rule_pack       text NOT NULL,
    -- the metric envelope of all the version's features (NULL: none)
    extent_xmin     double precision,
    extent_ymin     double precision,
    extent_xmax     double precision,
    extent_ymax     double precision,
    UNIQUE (municipality_id, seq),
    -- target of the layer tables' (plan_version_id, srid) foreign keys
    UNIQUE (id, measure_srid)
);

CREATE TABLE parcels (
    plan_version_id    bigint NOT NULL,
    srid               integer NOT NULL,
    parcel_id          text COLLATE "C" NOT NULL,
    registered_area_m2 double precision,
    address            text NOT NULL DEFAULT '',
    address_fa         text NOT NULL DEFAULT '',
    geom               geometry(MultiPolygon) NOT NULL,
    geom_wgs84         geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
    PRIMARY KEY (plan_version_id, parcel_id),
    FOREIGN KEY (plan_version_id, srid) REFERENCES plan_versions (id, measure_srid) ON DELETE CASCADE,
    CHECK (ST_SRID(geom) = srid)
) PARTITION BY LIST (plan_version_id);
CREATE INDEX parcels_geom_idx ON parcels USING gist (geom);
CREATE INDEX parcels_geom_wgs84_idx ON parcels USING gist (geom_wgs84);

CREATE TABLE master_plan (
    plan_version_id bigint NOT NULL,
    srid            integer NOT NULL,
    zone_id         text COLLATE "C" NOT NULL,
    land_use        text NOT NULL,
    density_band    text NOT NULL,
    name            text NOT NULL DEFAULT '',
    name_fa         text NOT NULL DEFAULT '',
    geom            geometry(MultiPolygon) NOT NULL,
    geom_wgs84      geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
    PRIMARY KEY (plan_version_id, zone_id),
    FOREIGN KEY (plan_version_id, srid) REFERENCES plan_versions (id, measure_srid) ON DELETE CASCADE,
    CHECK (ST_SRID(geom) = srid)
) PARTITION BY LIST (plan_version_id);
CREATE INDEX master_plan_geom_idx ON master_plan USING gist (geom);
CREATE INDEX master_plan_geom_wgs84_idx ON master_plan USING gist (geom_wgs84);

CREATE TABLE detailed_plan (
    plan_version_id bigint NOT NULL,
    srid            integer NOT NULL,
    zone_id         text COLLATE "C" NOT NULL,
    code            text COLLATE "C" NOT NULL,
    name            text NOT NULL DEFAULT '',
    name_fa         text NOT NULL DEFAULT '',
    geom            geometry(MultiPolygon) NOT NULL,
    geom_wgs84      geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
    PRIMARY KEY (plan_version_id, zone_id),
    FOREIGN KEY (plan_version_id, srid) REFERENCES plan_versions (id, measure_srid) ON DELETE CASCADE,
    CHECK (ST_SRID(geom) = srid)
) PARTITION BY LIST (plan_version_id);
CREATE INDEX detailed_plan_geom_idx ON detailed_plan USING gist (geom);
CREATE INDEX detailed_plan_geom_wgs84_idx ON detailed_plan USING gist (geom_wgs84);

CREATE TABLE streets (
    plan_version_id bigint NOT NULL,
    srid            integer NOT NULL,
    street_id       text COLLATE "C" NOT NULL,
    width_m         double precision NOT NULL,
    planned_width_m double precision NOT NULL,
    name            text NOT NULL DEFAULT '',
    name_fa         text NOT NULL DEFAULT '',
    geom            geometry(MultiPolygon) NOT NULL,
    geom_wgs84      geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
    PRIMARY KEY (plan_version_id, street_id),
    FOREIGN KEY (plan_version_id, srid) REFERENCES plan_versions (id, measure_srid) ON DELETE CASCADE,
    CHECK (ST_SRID(geom) = srid)
) PARTITION BY LIST (plan_version_id);
CREATE INDEX streets_geom_idx ON streets USING gist (geom);
CREATE INDEX streets_geom_wgs84_idx ON streets USING gist (geom_wgs84);

CREATE TABLE overlays (
    plan_version_id bigint NOT NULL,
    srid            integer NOT NULL,
    overlay_id      text COLLATE "C" NOT NULL,
    kind            text NOT NULL,
    max_height_m    double precision,
    max_floors      integer,
    no_build        boolean NOT NULL DEFAULT false,
    name            text NOT NULL DEFAULT '',
    name_fa         text NOT NULL DEFAULT '',
    geom            geometry(MultiPolygon) NOT NULL,
    geom_wgs84      geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
    PRIMARY KEY (plan_version_id, overlay_id),
    FOREIGN KEY (plan_version_id, srid) REFERENCES plan_versions (id, measure_srid) ON DELETE CASCADE,
    CHECK (ST_SRID(geom) = srid)
) PARTITION BY LIST (plan_version_id);
CREATE INDEX overlays_geom_idx ON overlays USING gist (geom);
CREATE INDEX overlays_geom_wgs84_idx ON overlays USING gist (geom_wgs84);

CREATE TABLE value_blocks (
    plan_version_id      bigint NOT NULL,
    srid                 integer NOT NULL,
    block_id             text COLLATE "C" NOT NULL,
    p_value              bigint NOT NULL,
    tx_value_residential bigint NOT NULL,
    tx_value_commercial  bigint NOT NULL,
    geom                 geometry(MultiPolygon) NOT NULL,
    geom_wgs84           geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (ST_Transform(geom, 4326)) STORED,
    PRIMARY KEY (plan_version_id, block_id),
    FOREIGN KEY (plan_version_id, srid) REFERENCES plan_versions (id, measure_srid) ON DELETE CASCADE,
    CHECK (ST_SRID(geom) = srid)
) PARTITION BY LIST (plan_version_id);
CREATE INDEX value_blocks_geom_idx ON value_blocks USING gist (geom);
CREATE INDEX value_blocks_geom_wgs84_idx ON value_blocks USING gist (geom_wgs84);

-- +goose Down
DROP TABLE value_blocks, overlays, streets, detailed_plan, master_plan, parcels;
DROP TABLE plan_versions, municipalities;
