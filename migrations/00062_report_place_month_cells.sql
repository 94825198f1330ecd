-- +goose Up
-- Distinct learners per place (a country and what follows from it: region,
-- LDC, SIDS, LLDC) and month, plus additive counts: the rollup of reports
-- grouped by geography and month alone, such as country by month (the map
-- over time). report_geo_month_cells also splits by gender, so such a report
-- aggregated it at about 2.5 cells per row: 13,032 cells into 5,240 rows with
-- 100,000 learners, most of the report's time. Learners with several places
-- within one month are subtracted exactly from report_month_movers, as for the
-- other month rollups. The rollup job keeps it fresh in the same transaction
-- as the other rollups.
CREATE TABLE report_place_month_cells (
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
    CONSTRAINT report_place_month_cells_key UNIQUE (month, region, country, ldc, sids, lldc)
);
CREATE INDEX report_place_month_cells_empty_idx ON report_place_month_cells (month) WHERE enrollments = 0;
-- Filtered by country (the dashboard's country page), a report reads one country's months.
CREATE INDEX report_place_month_cells_country_idx ON report_place_month_cells (country, month);

-- Counted from what the other rollups count, so that it agrees with them and
-- with data_as_of without waiting for a rebuild.
INSERT INTO report_place_month_cells (region, country, ldc, sids, lldc, month,
        learners, enrollments, completions, certificates)
SELECT region, country, ldc, sids, lldc, month,
       count(DISTINCT user_id), count(*), count(*) FILTER (WHERE completed), count(*) FILTER (WHERE certified)
FROM report_enrollment_state
GROUP BY region, country, ldc, sids, lldc, month;

-- +goose Down
DROP TABLE report_place_month_cells;
