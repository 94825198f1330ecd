-- +goose Up
-- A coarser month rollup for the common month groupings (country or region by
-- month, gender by month...): distinct learners per gender, geography and
-- month, plus additive counts. report_month_cells also splits by audience and
-- age band, which multiplies its rows up to 21 times (6.5 times with 100,000
-- learners, more as its cells fill); grouped by geography and month a report
-- reads this table instead. Learners with several snapshots
-- within one month are subtracted exactly from report_month_movers, as for
-- report_month_cells. The rollup job keeps it fresh in the same transaction as
-- the other rollups.
CREATE TABLE report_geo_month_cells (
    gender       text    NOT NULL,
    region       text    NOT NULL,
    country      char(2) NOT NULL,
    ldc          boolean NOT NULL,
    sids         boolean NOT NULL,
    lldc         boolean NOT NULL,
    month        date    NOT NULL,
    learners     bigint  NOT NULL DEFAULT 0,
    enrollments  bigint  NOT NULL DEFAULT 0,
    completions  bigint  NOT NULL DEFAULT 0,
    certificates bigint  NOT NULL DEFAULT 0,
    CONSTRAINT report_geo_month_cells_key UNIQUE (month, gender, region, country, ldc, sids, lldc)
);
CREATE INDEX report_geo_month_cells_empty_idx ON report_geo_month_cells (month) WHERE enrollments = 0;
-- Filtered by country (the dashboard's country page), a report reads one country's months.
CREATE INDEX report_geo_month_cells_country_idx ON report_geo_month_cells (country, month);

-- Counted from what the other rollups count, so that it agrees with them and
-- with data_as_of without waiting for a rebuild.
INSERT INTO report_geo_month_cells (gender, region, country, ldc, sids, lldc, month,
        learners, enrollments, completions, certificates)
SELECT gender, region, country, ldc, sids, lldc, month,
       count(DISTINCT user_id), count(*), count(*) FILTER (WHERE completed), count(*) FILTER (WHERE certified)
FROM report_enrollment_state
GROUP BY gender, region, country, ldc, sids, lldc, month;

-- +goose Down
DROP TABLE report_geo_month_cells;
